namespace Wafer.Bench.Soak;

/// <summary>The requests a soak mixes.</summary>
internal enum SoakRequestKind
{
    /// <summary>A streamed chat completion read to its end.</summary>
    ChatStream,

    /// <summary>A chat completion answered as one JSON body.</summary>
    Chat,

    /// <summary>A streamed text completion read to its end.</summary>
    CompletionStream,

    /// <summary>A text completion answered as one JSON body.</summary>
    Completion,

    /// <summary>A streamed chat completion the client abandons after its first token.</summary>
    Cancel,

    /// <summary>A malformed body (invalid JSON or UTF-8, wrong types, duplicate keys…) that must be answered 4xx.</summary>
    Bad,
}

/// <summary>Names of <see cref="SoakRequestKind"/> in tables and JSON.</summary>
internal static class SoakRequestKinds
{
    public static string Name(this SoakRequestKind kind) => kind switch
    {
        SoakRequestKind.ChatStream => "chat-stream",
        SoakRequestKind.Chat => "chat",
        SoakRequestKind.CompletionStream => "completion-stream",
        SoakRequestKind.Completion => "completion",
        SoakRequestKind.Cancel => "cancel",
        _ => "bad-request",
    };

    /// <summary>Draws a kind: <paramref name="cancelShare"/> cancellations, <paramref name="badShare"/> bad requests, the rest
    /// spread evenly over the four good kinds.</summary>
    public static SoakRequestKind Draw(Random random, double cancelShare, double badShare)
    {
        double u = random.NextDouble();
        if (u < cancelShare) return SoakRequestKind.Cancel;
        if (u < cancelShare + badShare) return SoakRequestKind.Bad;
        return (SoakRequestKind)random.Next(4);
    }
}
