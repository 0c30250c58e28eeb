using System.Text.Json;
using Wafer.Router.Configuration;
using Wafer.Router.Forwarding;

namespace Wafer.Router.Cascade;

/// <summary>Decides whether a tier's answer is good enough to return, or names why it must escalate.</summary>
internal static class AnswerCheck
{
    /// <summary>Null when the answer passes; otherwise the reason: "empty", "truncated", "low-logprob" or "invalid-json".</summary>
    /// <param name="answer">What the tier produced (the whole answer, or its first tokens when <paramref name="complete"/> is false).</param>
    /// <param name="complete">Whether the answer is finished; checks of the whole answer (empty, truncated, JSON) wait for it.</param>
    public static string? Failure(Chunk answer, RouterRequest request, CascadeConfig config, bool complete)
    {
        if (complete && config.EscalateOnEmpty && string.IsNullOrWhiteSpace(answer.Text)) return "empty";
        if (complete && config.EscalateOnTruncated && answer.FinishReason == "length") return "truncated";
        if (answer.Logprobs.Count > 0 && answer.Logprobs.Average() < config.MinMeanLogprob) return "low-logprob";
        if (complete && config.CheckJson && request.WantsJson && !IsJson(answer.Text)) return "invalid-json";
        return null;
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
