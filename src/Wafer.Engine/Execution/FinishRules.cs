using Wafer.Engine.Requests;

namespace Wafer.Engine.Execution;

/// <summary>The one place that decides whether a generated token ends its request, and why.</summary>
/// <remarks>Checked after every sampled token, in this order: an end token (the vocabulary's end-of-generation tokens unless
/// ignored, or one of the request's stop tokens: its text is not output), a stop string in the text, max tokens, the context.
/// Cancellations and failures end a request elsewhere, in <see cref="InferenceEngine"/>'s single exit.</remarks>
internal sealed class FinishRules(Func<int, bool> isEndOfGeneration, int contextLength)
{
    /// <summary>True when <paramref name="token"/> ends <paramref name="request"/> by itself (its text is then not shown).</summary>
    public bool IsEndToken(EngineRequest request, int token) =>
        ((!request.Spec.IgnoreEndOfGeneration || request.Constraint != null) && isEndOfGeneration(token)) || request.Spec.StopTokens.Contains(token);

    /// <summary>Why <paramref name="request"/>, which has just appended a token, is finished; null while it goes on.
    /// <paramref name="pending"/>: tokens of the same step appended after this one (speculative decoding), not yet counted.</summary>
    public FinishReason? Decide(EngineRequest request, bool endToken, bool stopStringMatched, int pending = 0)
    {
        if (endToken || stopStringMatched || (pending == 0 && request.Constraint?.IsDone == true)) return FinishReason.Stop;
        if (request.OutputCount - pending >= request.MaxTokens) return FinishReason.Length;
        if (request.Tokens.Count - pending >= contextLength) return FinishReason.ContextLength;
        return null;
    }
}
