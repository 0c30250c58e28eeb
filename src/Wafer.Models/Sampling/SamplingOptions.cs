namespace Wafer.Models.Sampling;

/// <summary>Sampling parameters of one request; unset fields take <see cref="SamplingDefaults"/>.</summary>
public sealed record SamplingOptions
{
    /// <summary>0 = greedy.</summary>
    public float Temperature { get; init; } = SamplingDefaults.Temperature;
    /// <summary>0 = off.</summary>
    public int TopK { get; init; } = SamplingDefaults.TopK;
    /// <summary>1 = off.</summary>
    public float TopP { get; init; } = SamplingDefaults.TopP;
    /// <summary>0 = off.</summary>
    public float MinP { get; init; } = SamplingDefaults.MinP;
    /// <summary>1 = off.</summary>
    public float RepetitionPenalty { get; init; } = SamplingDefaults.RepetitionPenalty;
    /// <summary>How many recent tokens the repetition penalty looks at.</summary>
    public int RepetitionWindow { get; init; } = SamplingDefaults.RepetitionWindow;
    /// <summary>OpenAI's frequency_penalty, in [−2, 2]; 0 = off.</summary>
    public float FrequencyPenalty { get; init; } = SamplingDefaults.Penalty;
    /// <summary>OpenAI's presence_penalty, in [−2, 2]; 0 = off.</summary>
    public float PresencePenalty { get; init; } = SamplingDefaults.Penalty;
    /// <summary>Bias added to the logits of chosen token ids (OpenAI's logit_bias).</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>Random seed; null draws one.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Greedy decoding.</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Throws <see cref="InvalidParameterException"/> naming the first invalid parameter.</summary>
    public SamplingOptions Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature)) throw Invalid("temperature", $"temperature must be ≥ 0, got {Temperature}");
        if (TopK < 0) throw Invalid("top_k", $"top-k must be ≥ 0 (0 = off), got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw Invalid("top_p", $"top-p must be in (0, 1], got {TopP}");
        if (!(MinP >= 0 && MinP <= 1)) throw Invalid("min_p", $"min-p must be in [0, 1], got {MinP}");
        if (!(RepetitionPenalty > 0) || float.IsInfinity(RepetitionPenalty)) throw Invalid("repetition_penalty", $"repetition penalty must be > 0, got {RepetitionPenalty}");
        if (RepetitionWindow < 0) throw Invalid("repeat_last_n", $"the repetition window must be ≥ 0 tokens, got {RepetitionWindow}");
        if (!(FrequencyPenalty >= -2 && FrequencyPenalty <= 2)) throw Invalid("frequency_penalty", $"frequency_penalty must be in [-2, 2], got {FrequencyPenalty}");
        if (!(PresencePenalty >= -2 && PresencePenalty <= 2)) throw Invalid("presence_penalty", $"presence_penalty must be in [-2, 2], got {PresencePenalty}");
        if (LogitBias != null)
            foreach (var (id, bias) in LogitBias)
                if (!float.IsFinite(bias)) throw Invalid("logit_bias", $"logit_bias for token {id} must be a finite number, got {bias}");
        return this;
    }

    private static InvalidParameterException Invalid(string parameter, string message) => new(parameter, message);
}
