using Wafer.Engine.Requests;

namespace Wafer.Server.Api;

/// <summary>A validated /v1/chat/completions or /v1/completions request.</summary>
/// <param name="Request">What the engine runs.</param>
/// <param name="Stream">Answer as server-sent events.</param>
/// <param name="IncludeUsage">Send a usage chunk before [DONE] (stream_options.include_usage).</param>
/// <param name="Logprobs">Report logprobs of the chosen tokens.</param>
/// <param name="TopLogprobs">How many alternatives per token.</param>
/// <param name="PromptParam">What the prompt is called in this request (<c>messages</c> or <c>prompt</c>), for errors about it.</param>
internal sealed record ParsedGeneration(GenerationRequest Request, bool Stream, bool IncludeUsage, bool Logprobs, int TopLogprobs, string PromptParam)
{
    /// <summary>The tools the model may call, and how it writes calls; null when the request has none or tool_choice is "none".</summary>
    public ToolUse? Tools { get; init; }
}

/// <summary>A chat request's tools: the definitions, the model's call format and whether calls are forced.</summary>
internal sealed record ToolUse(IReadOnlyList<Wafer.Engine.Chat.Tools.ToolDefinition> Definitions, Wafer.Engine.Chat.Tools.ToolCallFormat Format, bool Forced)
{
    /// <summary>A generation's text as answer text and tool calls: the calls when it holds well-formed ones (then the text
    /// beside them, or null), else the whole text and no calls; always the whole text when the request has no tools.</summary>
    public static (string? Text, IReadOnlyList<Wafer.Engine.Chat.Tools.ToolCall> Calls) Split(string text, ToolUse? tools)
    {
        if (tools == null) return (text, []);
        var (content, calls) = tools.Format.Parse(text, tools.Definitions);
        return calls.Count == 0 ? (text, []) : (content, calls);
    }
}
