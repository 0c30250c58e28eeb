namespace Wafer.Bench;

/// <summary>The shape of the generated prompts.</summary>
internal enum WorkloadKind
{
    /// <summary>Short chat prompts of <c>--prompt-tokens</c> each.</summary>
    Chat,

    /// <summary>Long prompts of <c>--long-prompt-tokens</c> each: prefill-bound.</summary>
    LongPrompt,

    /// <summary>G groups whose requests share a P-token system prompt: exercises prefix caching.</summary>
    SharedPrefix,

    /// <summary>Short chats plus an occasional long prompt: the tail-latency case.</summary>
    Mixed,
}

/// <summary>Parses and prints the CLI names of <see cref="WorkloadKind"/>.</summary>
internal static class WorkloadKinds
{
    public const string Names = "chat|long-prompt|shared-prefix|mixed";

    public static WorkloadKind Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "chat" => WorkloadKind.Chat,
        "long-prompt" => WorkloadKind.LongPrompt,
        "shared-prefix" => WorkloadKind.SharedPrefix,
        "mixed" => WorkloadKind.Mixed,
        _ => throw new ArgumentException($"--workload '{name}' is unknown; use one of {Names}"),
    };

    public static string Name(this WorkloadKind kind) => kind switch
    {
        WorkloadKind.LongPrompt => "long-prompt",
        WorkloadKind.SharedPrefix => "shared-prefix",
        WorkloadKind.Mixed => "mixed",
        _ => "chat",
    };
}
