using Wafer.Engine.Execution;

namespace Wafer.Engine.Requests;

/// <summary>One step of a generation as the caller sees it: a token and the text it completes; the last event carries why it ended and the usage.</summary>
/// <param name="Token">The generated token id (−1 for a closing event that carries no token).</param>
/// <param name="Text">Text to append to the output (may be empty while a UTF-8 character or a possible stop string is incomplete).</param>
/// <param name="Logprobs">Logprobs of the token, when asked for.</param>
/// <param name="FinishReason">Set on the last event.</param>
/// <param name="Usage">Set on the last event.</param>
public readonly record struct TokenEvent(int Token, string Text, TokenLogprobs? Logprobs, FinishReason? FinishReason = null, GenerationUsage? Usage = null);

/// <summary>Token counts of one finished generation.</summary>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Generated tokens (including a final end-of-generation token).</param>
/// <param name="CachedPromptTokens">Prompt tokens served from the prefix cache.</param>
public sealed record GenerationUsage(int PromptTokens, int CompletionTokens, int CachedPromptTokens)
{
    /// <summary>The stop string that ended the generation, or null when it ended otherwise.</summary>
    public string? StopString { get; init; }

    /// <summary>The KV precision that stored the request's keys and values (<c>f32</c>, <c>f16</c>, <c>q8_0</c>, or keys/values
    /// as <c>q8_0/f16</c>).</summary>
    public string KvPrecision { get; init; } = "f32";

    /// <summary>True when the request ran with speculative decoding (then the prediction counts below are reported).</summary>
    public bool Speculative { get; init; }

    /// <summary>Draft tokens the target accepted (OpenAI's <c>accepted_prediction_tokens</c>).</summary>
    public long AcceptedPredictionTokens { get; init; }

    /// <summary>Draft tokens the target rejected (OpenAI's <c>rejected_prediction_tokens</c>).</summary>
    public long RejectedPredictionTokens { get; init; }
}
