namespace Wafer.Engine.Requests;

/// <summary>Why a request stopped producing tokens (names as in the OpenAI API where they exist).</summary>
public enum FinishReason
{
    /// <summary>An end-of-generation token, a stop token or a stop string.</summary>
    Stop,

    /// <summary>max_tokens reached.</summary>
    Length,

    /// <summary>The context window is full.</summary>
    ContextLength,

    /// <summary>The caller cancelled.</summary>
    Cancelled,
}
