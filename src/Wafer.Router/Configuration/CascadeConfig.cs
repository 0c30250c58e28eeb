namespace Wafer.Router.Configuration;

/// <summary>Checks an answer of a cheap tier must pass before it is returned instead of escalating.</summary>
public sealed record CascadeConfig
{
    /// <summary>Escalate when the mean token logprob is below this (logprobs are requested from the backend).</summary>
    public double MinMeanLogprob { get; init; } = -2.5;

    /// <summary>Escalate on an empty answer.</summary>
    public bool EscalateOnEmpty { get; init; } = true;

    /// <summary>Escalate when the answer stopped at max_tokens (finish_reason "length").</summary>
    public bool EscalateOnTruncated { get; init; } = true;

    /// <summary>Escalate when response_format json_object was asked for and the answer is not valid JSON.</summary>
    public bool CheckJson { get; init; } = true;

    /// <summary>Streaming: tokens buffered and checked before the stream is committed to a tier.</summary>
    public int StreamDecisionTokens { get; init; } = 8;
}
