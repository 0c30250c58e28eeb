namespace Wafer.Bench;

/// <summary>Which OpenAI streaming API the benchmark calls.</summary>
internal enum EndpointKind
{
    /// <summary><c>POST /v1/chat/completions</c>: messages in, <c>choices[0].delta.content</c> out.</summary>
    Chat,

    /// <summary><c>POST /v1/completions</c>: a prompt in, <c>choices[0].text</c> out.</summary>
    Completions,
}

/// <summary>Parses the CLI names of <see cref="EndpointKind"/> and maps them to URL paths.</summary>
internal static class EndpointKinds
{
    public static EndpointKind Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "chat" => EndpointKind.Chat,
        "completions" => EndpointKind.Completions,
        _ => throw new ArgumentException($"--endpoint '{name}' is unknown; use chat or completions"),
    };

    public static string Name(this EndpointKind kind) => kind == EndpointKind.Chat ? "chat" : "completions";

    public static string Path(this EndpointKind kind) => kind == EndpointKind.Chat ? "v1/chat/completions" : "v1/completions";
}
