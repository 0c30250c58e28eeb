using System.Text;
using System.Text.Json;

namespace Wafer.Router.Forwarding;

/// <summary>A generation request as the router sees it: the body bytes (forwarded unchanged) and the few fields routing needs.</summary>
internal sealed class RouterRequest
{
    /// <summary>Leading prompt characters kept for affinity keys.</summary>
    private const int MaxPrefixChars = 4096;

    /// <summary>Tokens assumed when the request names no max_tokens.</summary>
    private const int DefaultMaxTokens = 256;

    public required string Path { get; init; }
    public required byte[] Body { get; init; }
    public required string Model { get; init; }
    public required bool Stream { get; init; }
    public required bool IsChat { get; init; }

    /// <summary>The prompt's leading text: each chat message as "role\ncontent\n", or the completion prompt.</summary>
    public required string PromptPrefix { get; init; }

    public required int PromptChars { get; init; }
    public required int MaxTokens { get; init; }
    public required bool WantsJson { get; init; }
    public required bool HasLogprobs { get; init; }

    /// <summary>Prompt tokens estimated as characters / 4, plus max_tokens.</summary>
    public long EstimatedTokens => PromptChars / 4 + MaxTokens;

    /// <summary>Parses the body; throws <see cref="RouterHttpException"/> (400) for what a client got wrong.</summary>
    public static RouterRequest Parse(string path, byte[] body)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new RouterHttpException(400, $"the request body is not valid JSON ({e.Message})", "invalid_request_error");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new RouterHttpException(400, "the request body must be a JSON object", "invalid_request_error");
            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || model.GetString() is not { Length: > 0 } modelName)
                throw new RouterHttpException(400, "'model' is required: name one of GET /v1/models", "invalid_request_error", "model");
            bool isChat = path.EndsWith("chat/completions", StringComparison.Ordinal);
            var prompt = new StringBuilder();
            int chars = isChat ? ChatPrompt(root, prompt) : CompletionPrompt(root, prompt);
            return new RouterRequest
            {
                Path = path,
                Body = body,
                Model = modelName,
                Stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True,
                IsChat = isChat,
                PromptPrefix = prompt.Length > MaxPrefixChars ? prompt.ToString(0, MaxPrefixChars) : prompt.ToString(),
                PromptChars = chars,
                MaxTokens = MaxTokensOf(root),
                WantsJson = root.TryGetProperty("response_format", out var rf) && rf.ValueKind == JsonValueKind.Object
                    && rf.TryGetProperty("type", out var type) && type.ValueEquals("json_object"),
                HasLogprobs = root.TryGetProperty("logprobs", out var lp) && lp.ValueKind is JsonValueKind.True or JsonValueKind.Number,
            };
        }
    }

    private static int ChatPrompt(JsonElement root, StringBuilder prompt)
    {
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw new RouterHttpException(400, "'messages' is required and must be an array of {role, content}", "invalid_request_error", "messages");
        int chars = 0;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object) continue;
            string role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
            Append(prompt, role);
            Append(prompt, "\n");
            if (m.TryGetProperty("content", out var content))
            {
                if (content.ValueKind == JsonValueKind.String) chars += Append(prompt, content.GetString()!);
                else if (content.ValueKind == JsonValueKind.Array)
                    foreach (var part in content.EnumerateArray())
                        if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                            chars += Append(prompt, t.GetString()!);
            }
            Append(prompt, "\n");
        }
        return chars;
    }

    private static int CompletionPrompt(JsonElement root, StringBuilder prompt)
    {
        if (!root.TryGetProperty("prompt", out var p)) throw new RouterHttpException(400, "'prompt' is required", "invalid_request_error", "prompt");
        var first = p.ValueKind == JsonValueKind.Array && p.GetArrayLength() > 0 ? p[0] : p;
        return first.ValueKind == JsonValueKind.String ? Append(prompt, first.GetString()!) : 0;
    }

    private static int Append(StringBuilder prompt, string text)
    {
        if (prompt.Length < MaxPrefixChars) prompt.Append(text.AsSpan(0, Math.Min(text.Length, MaxPrefixChars - prompt.Length)));
        return text.Length;
    }

    private static int MaxTokensOf(JsonElement root)
    {
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
            if (root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n > 0) return n;
        return DefaultMaxTokens;
    }
}
