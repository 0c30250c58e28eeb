namespace Wafer.Models.Sampling;

/// <summary>Sampling parameters of one request; validated on creation.</summary>
public sealed record SamplingOptions
{
    /// <summary>0 = greedy.</summary>
    public float Temperature { get; init; } = 0.8f;
    /// <summary>0 = off.</summary>
    public int TopK { get; init; } = 40;
    /// <summary>1 = off.</summary>
    public float TopP { get; init; } = 0.95f;
    /// <summary>0 = off.</summary>
    public float MinP { get; init; } = 0.05f;
    /// <summary>1 = off.</summary>
    public float RepetitionPenalty { get; init; } = 1.0f;
    /// <summary>How many recent tokens the repetition penalty looks at.</summary>
    public int RepetitionWindow { get; init; } = 64;
    public float FrequencyPenalty { get; init; }
    public float PresencePenalty { get; init; }
    /// <summary>Bias added to the logits of chosen token ids (OpenAI's logit_bias).</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>Random seed; null draws one.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Greedy decoding.</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid parameter.</summary>
    public SamplingOptions Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature)) throw new ArgumentException($"temperature must be ≥ 0, got {Temperature}");
        if (TopK < 0) throw new ArgumentException($"top-k must be ≥ 0 (0 = off), got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top-p must be in (0, 1], got {TopP}");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentException($"min-p must be in [0, 1], got {MinP}");
        if (!(RepetitionPenalty > 0)) throw new ArgumentException($"repetition penalty must be > 0, got {RepetitionPenalty}");
        return this;
    }
}
