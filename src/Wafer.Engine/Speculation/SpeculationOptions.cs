namespace Wafer.Engine.Speculation;

/// <summary>How draft tokens are proposed for speculative decoding.</summary>
public enum SpeculationMethod
{
    /// <summary>No speculation: one token per decode step.</summary>
    None,
    /// <summary>N-gram / prompt lookup: the continuation of the latest earlier occurrence of the last few tokens, in the
    /// request's prediction (OpenAI's Predicted Outputs), then in its prompt and output so far. No second model.</summary>
    Ngram,
    /// <summary>A draft model (<see cref="SpeculationOptions.Draft"/>): greedy drafts from a smaller model with the same
    /// tokenizer, or from the target's own weights requantized (<c>self:Q4_0</c>).</summary>
    Draft,
}

/// <summary>Speculative decoding settings of an engine (a request may switch it off, or on with n-gram lookup).</summary>
public sealed record SpeculationOptions
{
    /// <summary>Speculation off.</summary>
    public static SpeculationOptions Off { get; } = new();

    /// <summary>The proposer requests use unless they choose otherwise.</summary>
    public SpeculationMethod Method { get; init; } = SpeculationMethod.None;

    /// <summary>With <see cref="SpeculationMethod.Draft"/>: the draft model, a GGUF path or <c>self:TYPE</c> (<c>--draft</c>).</summary>
    public string? Draft { get; init; }

    /// <summary>Most draft tokens one sequence verifies per step (<c>--draft-tokens</c>).</summary>
    public int MaxDraftTokens { get; init; } = 5;

    /// <summary>Decode rows at which a step is taken to saturate compute: from there no sequence drafts (see
    /// <see cref="SpeculationPolicy"/>). Below it, the bar a draft token must clear rises with the batch.</summary>
    public int SaturationRows { get; init; } = 8;

    /// <summary>Weigh drafts against the measured cost of a step (<see cref="StepCostModel"/>); off = the fixed bar of
    /// rows / <see cref="SaturationRows"/> (deterministic: tests use it).</summary>
    public bool MeasuredCost { get; init; } = true;

    /// <summary>Longest n-gram matched (the last n tokens are looked up, n from this down to <see cref="NgramMin"/>).</summary>
    public int NgramMax { get; init; } = 4;

    /// <summary>Shortest n-gram matched.</summary>
    public int NgramMin { get; init; } = 2;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public SpeculationOptions Validate()
    {
        if (MaxDraftTokens is < 1 or > 32) throw new ArgumentException($"--draft-tokens must be in 1…32, got {MaxDraftTokens}");
        if (SaturationRows < 1) throw new ArgumentException($"the speculation saturation must be ≥ 1 decode row, got {SaturationRows}");
        if ((Method == SpeculationMethod.Draft) != (Draft != null))
            throw new ArgumentException(Draft == null ? "draft-model speculation needs --draft FILE.gguf (or self:Q4_0)" : "--draft is given but speculation is not 'draft'");
        if (NgramMin < 1 || NgramMax < NgramMin) throw new ArgumentException($"n-gram sizes must satisfy 1 ≤ min ≤ max, got {NgramMin}…{NgramMax}");
        return this;
    }
}
