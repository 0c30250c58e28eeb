namespace Wafer.Bench;

/// <summary>One generated request: an optional shared system prompt, the user prompt, and how many tokens to ask for.</summary>
/// <param name="Index">Position in the workload, 0-based.</param>
/// <param name="SystemPrompt">Shared prefix (shared-prefix workload), or null.</param>
/// <param name="Prompt">The user prompt.</param>
/// <param name="PromptWordCount">Words in system + user prompt: the intended prompt length in tokens (about one token per word).</param>
/// <param name="MaxTokens">The <c>max_tokens</c> to request.</param>
/// <param name="GroupIndex">Shared-prefix group, or -1.</param>
/// <param name="IsLong">True for a long prompt (long-prompt and mixed workloads).</param>
internal sealed record BenchRequest(int Index, string? SystemPrompt, string Prompt, int PromptWordCount, int MaxTokens, int GroupIndex, bool IsLong)
{
    /// <summary>Ask for greedy decoding (<c>temperature</c> 0), so the answer is the same every time.</summary>
    public bool Greedy { get; init; }

    /// <summary>OpenAI's <c>prediction</c> to send (Predicted Outputs), or null.</summary>
    public string? Prediction { get; init; }

    /// <summary>Keep the answer's text in the record (the first pass of <c>--predicted</c>).</summary>
    public bool CaptureText { get; init; }

    /// <summary>The request with <paramref name="tag"/> as the first word of its prompt (of the shared system prompt where there
    /// is one, so a group still shares it): prompts tagged differently share no prefix, so a server's prefix cache cannot answer
    /// one load level from the prompts of another (or of the warm-up).</summary>
    public BenchRequest Tagged(string tag) => SystemPrompt != null
        ? this with { SystemPrompt = tag + " " + SystemPrompt, PromptWordCount = PromptWordCount + 1 }
        : this with { Prompt = tag + " " + Prompt, PromptWordCount = PromptWordCount + 1 };
}
