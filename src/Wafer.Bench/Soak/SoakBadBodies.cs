using System.Text;

namespace Wafer.Bench.Soak;

/// <summary>The malformed bodies a soak sends: each must be answered 4xx with an error, never 2xx or 5xx, and must leave the
/// server as it was.</summary>
internal static class SoakBadBodies
{
    /// <summary>One malformed request: what it tests, the endpoint path, and its bytes.</summary>
    public sealed record Body(string Name, string Path, byte[] Bytes);

    public static readonly IReadOnlyList<Body> All = Build();

    private static IReadOnlyList<Body> Build()
    {
        static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
        const string Chat = "v1/chat/completions", Completions = "v1/completions";
        const string Open = """{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":4""";
        return
        [
            new("truncated JSON", Chat, B("""{"messages":[{"role":"user","content":"Once upon""")),
            new("not JSON", Chat, B("max_tokens=4&prompt=hello")),
            new("invalid UTF-8 in a string", Chat, [.. B(Open + ",\"user\":\"a"), 0xC3, 0x28, .. B("\"}")]),
            new("a truncated 3-byte sequence", Completions, [.. B("""{"prompt":"a"""), 0xE2, 0x82, .. B("\",\"max_tokens\":4}")]),
            new("an unpaired surrogate escape", Chat, B(Open + ",\"user\":\"a\\ud800b\"}")),
            new("a duplicate key", Chat, B(Open + ",\"max_tokens\":5}")),
            new("2,000-deep nesting", Chat, B(Open + ",\"x\":" + new string('[', 2000) + new string(']', 2000) + "}")),
            new("a huge number", Completions, B("""{"prompt":"a","max_tokens":1e999}""")),
            new("a wrong type", Chat, B(Open + ",\"temperature\":\"hot\"}")),
            new("negative max_tokens", Completions, B("""{"prompt":"a","max_tokens":-3}""")),
            new("no messages", Chat, B("""{"max_tokens":4}""")),
            new("an empty body", Completions, []),
        ];
    }
}
