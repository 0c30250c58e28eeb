using System.Text.Json;

namespace Wafer.Bench;

/// <summary>What a <see cref="FakeOpenAiServer"/> answers one request with, read from its body, and the OpenAI JSON it writes:
/// the role chunk, one chunk per token, the usage chunk, or the whole answer.</summary>
internal sealed class FakeAnswer
{
    private readonly FakeServerOptions _options;

    private FakeAnswer(FakeServerOptions options) => _options = options;

    public bool Chat { get; private init; }

    public bool Stream { get; private init; }

    /// <summary>Whether the client asked for logprobs.</summary>
    public bool Logprobs { get; private init; }

    /// <summary>Whether the stream ends with a usage chunk.</summary>
    public bool Usage { get; private init; }

    public int TokenCount { get; private init; }

    /// <summary>Reads the request body; throws <see cref="JsonException"/> (and kin) when it is not a JSON request object.</summary>
    public static FakeAnswer Read(string body, FakeServerOptions options, bool chat)
    {
        using var request = JsonDocument.Parse(body);
        var root = request.RootElement;
        int tokens = options.Tokens?.Count
            ?? (root.TryGetProperty("max_tokens", out var max) && max.ValueKind == JsonValueKind.Number ? max.GetInt32() : options.DefaultTokens);
        bool asked = root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
            && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
        return new FakeAnswer(options)
        {
            Chat = chat,
            Stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True,
            Logprobs = root.TryGetProperty("logprobs", out var lp) && (lp.ValueKind == JsonValueKind.True || lp.ValueKind == JsonValueKind.Number),
            Usage = options.SendUsage && (asked || options.UsageUnasked),
            TokenCount = tokens,
        };
    }

    private string Token(int k) => _options.Tokens?[k] ?? $" w{k}";

    public void WriteRole(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        w.WriteString("role", "assistant");
        w.WriteString("content", "");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public void WriteToken(Utf8JsonWriter w, int k)
    {
        w.WriteStartObject();
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        if (Chat)
        {
            w.WriteStartObject("delta");
            w.WriteString("content", Token(k));
            w.WriteEndObject();
        }
        else
        {
            w.WriteString("text", Token(k));
        }
        if (Logprobs) WriteLogprobs(w, k, k + 1);
        if (k == TokenCount - 1) w.WriteString("finish_reason", _options.FinishReason);
        else w.WriteNull("finish_reason");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public void WriteUsage(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartArray("choices");
        w.WriteEndArray();
        WriteUsageField(w);
        w.WriteEndObject();
    }

    public void WriteWhole(Utf8JsonWriter w)
    {
        string text = string.Concat(Enumerable.Range(0, TokenCount).Select(Token));
        w.WriteStartObject();
        w.WriteString("object", Chat ? "chat.completion" : "text_completion");
        w.WriteString("model", _options.Model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        if (Chat)
        {
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            w.WriteString("content", text);
            w.WriteEndObject();
        }
        else
        {
            w.WriteString("text", text);
        }
        if (Logprobs) WriteLogprobs(w, 0, TokenCount);
        w.WriteString("finish_reason", _options.FinishReason);
        w.WriteEndObject();
        w.WriteEndArray();
        WriteUsageField(w);
        w.WriteEndObject();
    }

    /// <summary>Chat: <c>{"content": [{"token", "logprob"}…]}</c>; completions: <c>{"tokens": […], "token_logprobs": […]}</c>.</summary>
    private void WriteLogprobs(Utf8JsonWriter w, int from, int to)
    {
        w.WriteStartObject("logprobs");
        if (Chat)
        {
            w.WriteStartArray("content");
            for (int k = from; k < to; k++)
            {
                w.WriteStartObject();
                w.WriteString("token", Token(k));
                w.WriteNumber("logprob", _options.Logprob);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        else
        {
            w.WriteStartArray("tokens");
            for (int k = from; k < to; k++) w.WriteStringValue(Token(k));
            w.WriteEndArray();
            w.WriteStartArray("token_logprobs");
            for (int k = from; k < to; k++) w.WriteNumberValue(_options.Logprob);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private void WriteUsageField(Utf8JsonWriter w)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", _options.PromptTokens);
        w.WriteNumber("completion_tokens", TokenCount);
        w.WriteNumber("total_tokens", _options.PromptTokens + TokenCount);
        w.WriteEndObject();
    }
}
