namespace Wafer.Bench;

/// <summary>One generated request: an optional shared system prompt, the user prompt, and how many tokens to ask for.</summary>
/// <param name="Index">Position in the workload, 0-based.</param>
/// <param name="SystemPrompt">Shared prefix (shared-prefix workload), or null.</param>
/// <param name="Prompt">The user prompt.</param>
/// <param name="PromptWordCount">Words in system + user prompt: the intended prompt length in tokens (about one token per word).</param>
/// <param name="MaxTokens">The <c>max_tokens</c> to request.</param>
/// <param name="GroupIndex">Shared-prefix group, or -1.</param>
/// <param name="IsLong">True for a long prompt (long-prompt and mixed workloads).</param>
internal sealed record BenchRequest(int Index, string? SystemPrompt, string Prompt, int PromptWordCount, int MaxTokens, int GroupIndex, bool IsLong);
