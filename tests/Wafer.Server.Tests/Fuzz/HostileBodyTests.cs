using System.Net;
using System.Text;
using System.Text.Json;

namespace Wafer.Server.Tests.Fuzz;

/// <summary>A real <c>wafer serve</c> of the embedded model on a loopback port gets hostile bodies on every endpoint that generates or embeds
/// — invalid UTF-8 in strings and keys, unpaired <c>\u</c> surrogates, truncated multi-byte sequences, 10,000-deep nesting,
/// 1e999 numbers, duplicate keys — and answers each with a 400 and an error JSON with a message, never a 500, and still
/// serves a valid request afterwards.</summary>
public sealed class HostileBodyTests : IAsyncLifetime
{
    private WaferServerProcess? _server;

    public async ValueTask InitializeAsync() => _server = await WaferServerProcess.ServeWithAsync(null, Repository.DefaultModel);

    public async ValueTask DisposeAsync()
    {
        if (_server != null) await _server.DisposeAsync();
    }

    /// <summary>A valid body of each endpoint without its closing brace, and the integer field a huge number goes into.</summary>
    private static readonly (string Path, string Open, string Number)[] Endpoints =
    [
        ("v1/chat/completions", """{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":2""", "max_tokens"),
        ("v1/completions", """{"prompt":"Once upon a time","max_tokens":2""", "max_tokens"),
        ("v1/responses", """{"input":"Once upon a time","max_output_tokens":2""", "max_output_tokens"),
        ("v1/messages", """{"max_tokens":2,"messages":[{"role":"user","content":"Once upon a time"}]""", "max_tokens"),
        ("v1/embeddings", """{"encoding_format":"float","input":["Once upon a time"]""", "dimensions"),
    ];

    /// <summary>Each hostile addition to a valid body, by name: the bytes that close it, and the error code when one is certain.</summary>
    private static IEnumerable<(string Name, byte[] Tail, string? Code)> Hostile(string number, bool generation)
    {
        static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
        yield return ("invalid UTF-8 in a string", [.. B(",\"user\":\"a"), 0xC3, 0x28, .. B("\"}")], "invalid_encoding");
        yield return ("invalid UTF-8 in a key", [.. B(",\""), 0xFF, 0xFE, .. B("\":1}")], "invalid_encoding");
        yield return ("an encoded surrogate (ED A0 80)", [.. B(",\"user\":\""), 0xED, 0xA0, 0x80, .. B("\"}")], "invalid_encoding");
        yield return ("a truncated 3-byte sequence", [.. B(",\"user\":\"a"), 0xE2, 0x82, .. B("\"}")], "invalid_encoding");
        yield return ("a truncated 4-byte sequence at the end", [.. B(",\"user\":\""), 0xF0, 0x9F, 0x98], "invalid_encoding");
        yield return ("an unpaired \\ud800 in a string", B(",\"user\":\"a\\ud800b\"}"), "invalid_encoding");
        yield return ("an unpaired \\udfff in a key", B(",\"\\udfffx\":1}"), "invalid_encoding");
        yield return ("10,000-deep arrays", B(",\"x\":" + new string('[', 10_000) + new string(']', 10_000) + "}"), "invalid_json");
        yield return ("10,000-deep objects", B(",\"x\":" + string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000) + "}"), "invalid_json");
        yield return ($"{number}: 1e999", B($",\"{number}\":1e999}}"), null);
        if (generation) yield return ("temperature: 1e999", B(",\"temperature\":1e999}"), null); // embeddings ignore it, as OpenAI's do
        yield return ($"{number}: -1e999", B($",\"{number}\":-1e999}}"), null);
        yield return ("a 400-digit integer", B($",\"{number}\":{new string('9', 400)}}}"), null);
        yield return ("a duplicate key", B($",\"{number}\":3,\"{number}\":4}}"), "duplicate_key");
    }

    [Fact]
    public async Task Post_HostileBodiesOnEveryEndpoint_400WithMessage_ServerStillAnswers()
    {
        var http = _server!.Http;
        var wrong = new List<string>();
        int sent = 0;
        foreach (var (path, open, number) in Endpoints)
        {
            foreach (var (name, tail, code) in Hostile(number, generation: path != "v1/embeddings"))
            {
                using var content = new ByteArrayContent([.. Encoding.UTF8.GetBytes(open), .. tail]);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync(path, content, TestContext.Current.CancellationToken);
                sent++;
                string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                if (Problem(response, text, code, number) is string problem) wrong.Add($"{path} with {name}: {problem}");
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} of {sent} answers were wrong:\n{string.Join("\n", wrong)}");
        using var health = await http.GetAsync("health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var valid = await http.PostAsync("v1/chat/completions",
            new StringContent(Endpoints[0].Open + "}", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
    }

    /// <summary>What is wrong with an answer, or null: it must be a 400 with a JSON error that has a message (OpenAI's
    /// <c>{"error": {"message", "type", "code"}}</c>, or Anthropic's <c>{"type": "error", "error": {"type", "message"}}</c> on
    /// /v1/messages), with the expected code where OpenAI's shape carries one; a duplicate key's message names the key.</summary>
    private static string? Problem(HttpResponseMessage response, string text, string? code, string number)
    {
        if (response.StatusCode != HttpStatusCode.BadRequest) return $"status {(int)response.StatusCode}: {text}";
        JsonElement error;
        try
        {
            using var doc = JsonDocument.Parse(text);
            error = doc.RootElement.GetProperty("error").Clone();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"no error JSON: {text}";
        }
        if (!error.TryGetProperty("message", out var message) || string.IsNullOrWhiteSpace(message.GetString())) return $"no message: {text}";
        if (code != null && error.TryGetProperty("code", out var c) && c.GetString() != code) return $"code {c}, expected {code}: {text}";
        if (code == "duplicate_key" && !message.GetString()!.Contains($"'{number}'", StringComparison.Ordinal)) return $"the message does not name '{number}': {text}";
        return null;
    }
}
