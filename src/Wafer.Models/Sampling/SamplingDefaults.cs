namespace Wafer.Models.Sampling;

/// <summary>The sampling parameters a request gets for what it does not set, the same in <c>wafer run</c>, the in-process
/// <c>IChatClient</c> and the HTTP server. They are llama.cpp's (<c>common_params_sampling</c>, also what llama-server
/// applies to an OpenAI request that leaves a field out), so a prompt moved between the two behaves alike.</summary>
public static class SamplingDefaults
{
    /// <summary>llama.cpp <c>--temp</c>: 0.8.</summary>
    public const float Temperature = 0.8f;

    /// <summary>llama.cpp <c>--top-k</c>: 40.</summary>
    public const int TopK = 40;

    /// <summary>llama.cpp <c>--top-p</c>: 0.95.</summary>
    public const float TopP = 0.95f;

    /// <summary>llama.cpp <c>--min-p</c>: 0.05.</summary>
    public const float MinP = 0.05f;

    /// <summary>llama.cpp <c>--repeat-penalty</c>: 1.0 (off).</summary>
    public const float RepetitionPenalty = 1.0f;

    /// <summary>llama.cpp <c>--repeat-last-n</c>: 64 tokens.</summary>
    public const int RepetitionWindow = 64;

    /// <summary>OpenAI <c>presence_penalty</c> / <c>frequency_penalty</c>: 0 (off).</summary>
    public const float Penalty = 0;
}
