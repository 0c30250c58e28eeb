using Wafer.Engine.Requests;

namespace Wafer.Server.Api;

/// <summary>A validated /v1/chat/completions or /v1/completions request.</summary>
/// <param name="Request">What the engine runs.</param>
/// <param name="Stream">Answer as server-sent events.</param>
/// <param name="IncludeUsage">Send a usage chunk before [DONE] (stream_options.include_usage).</param>
/// <param name="Logprobs">Report logprobs of the chosen tokens.</param>
/// <param name="TopLogprobs">How many alternatives per token.</param>
/// <param name="PromptParam">What the prompt is called in this request (<c>messages</c> or <c>prompt</c>), for errors about it.</param>
internal sealed record ParsedGeneration(GenerationRequest Request, bool Stream, bool IncludeUsage, bool Logprobs, int TopLogprobs, string PromptParam);
