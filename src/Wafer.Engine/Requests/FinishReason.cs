namespace Wafer.Engine.Requests;

/// <summary>Why a request stopped producing tokens (names as in the OpenAI API where they exist).</summary>
/// <remarks>A generation that ends normally carries its reason on its last <see cref="TokenEvent"/>. One that the engine
/// could not finish (a failed step, a shutdown that cancelled it) ends its stream with an exception instead, so a caller can
/// never mistake it for a complete answer.</remarks>
public enum FinishReason
{
    /// <summary>An end-of-generation token, a stop token or a stop string.</summary>
    Stop,

    /// <summary>max_tokens reached.</summary>
    Length,

    /// <summary>The context window is full.</summary>
    ContextLength,

    /// <summary>The caller cancelled (the caller does not read this: its enumeration has ended).</summary>
    Cancelled,
}
