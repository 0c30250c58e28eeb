namespace Wafer.Router.Forwarding;

/// <summary>What the router reads from a completion or one streamed chunk of it.</summary>
internal sealed class Chunk
{
    public string Text { get; set; } = "";
    public List<double> Logprobs { get; } = [];
    public string? FinishReason { get; set; }
    public long? PromptTokens { get; set; }
    public long? CompletionTokens { get; set; }
    public bool Malformed { get; set; }

    /// <summary>Whether it carries a generated token (text, a logprob or the finish).</summary>
    public bool HasToken => Text.Length > 0 || Logprobs.Count > 0 || FinishReason != null;
}
