namespace Wafer.Bench;

/// <summary>What prompts to generate: the workload kind and its lengths, in tokens.</summary>
internal sealed record WorkloadOptions
{
    public WorkloadKind Kind { get; init; } = WorkloadKind.Chat;

    /// <summary>Length of chat prompts (and of the per-request part of shared-prefix prompts).</summary>
    public TokenRange PromptTokens { get; init; } = new(200, 50);

    /// <summary>The <c>max_tokens</c> of every request.</summary>
    public int OutputTokens { get; init; } = 128;

    /// <summary>Length of long prompts (long-prompt workload; the occasional prompt of mixed).</summary>
    public TokenRange LongPromptTokens { get; init; } = new(2000, 200);

    /// <summary>Share of long prompts in the mixed workload, in [0, 1].</summary>
    public double LongFraction { get; init; } = 0.1;

    /// <summary>Number of shared-prefix groups (G).</summary>
    public int PrefixGroupCount { get; init; } = 4;

    /// <summary>Length of each group's shared system prompt (P).</summary>
    public int PrefixTokens { get; init; } = 1000;

    public void Validate()
    {
        if (OutputTokens < 1) throw new ArgumentException($"--output-tokens must be at least 1, got {OutputTokens}");
        if (LongFraction is < 0 or > 1 || double.IsNaN(LongFraction)) throw new ArgumentException($"--long-fraction must be in [0, 1], got {LongFraction}");
        if (PrefixGroupCount < 1) throw new ArgumentException($"--prefix-groups must be at least 1, got {PrefixGroupCount}");
        if (PrefixTokens < 1) throw new ArgumentException($"--prefix-tokens must be at least 1, got {PrefixTokens}");
    }
}
