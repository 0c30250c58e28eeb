using System.Text.Json;

namespace Wafer.OpenAi.Streaming;

/// <summary>What a client (the load generator, tests) needs from one streamed chunk of either OpenAI format: whether it carries text, the usage, or an error.</summary>
/// <param name="HasContent">True when the chunk carries generated text (chat <c>delta.content</c> or <c>delta.reasoning_content</c>, completions <c>text</c>).</param>
/// <param name="PromptTokens">Usage's <c>prompt_tokens</c>, when present.</param>
/// <param name="CompletionTokens">Usage's <c>completion_tokens</c>, when present.</param>
/// <param name="Error">The message of an <c>error</c> object, when the server streamed one.</param>
/// <param name="Text">The chunk's generated text (chat <c>delta.content</c>, completions <c>text</c>), or null.</param>
public readonly record struct StreamChunk(bool HasContent, int? PromptTokens, int? CompletionTokens, string? Error, string? Text = null)
{
    /// <summary>Parses one <c>data:</c> payload; a payload that is not JSON is reported as an error, never thrown.
    /// <paramref name="withText"/>: also return the answer's text (a string per chunk; off on measuring paths).</summary>
    public static StreamChunk Parse(string json, bool withText = false)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new StreamChunk(false, null, null, "stream chunk is not a JSON object");
            if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
                return new StreamChunk(false, null, null, ErrorMessage(error));
            int? prompt = null, completion = null;
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                prompt = Int(usage, "prompt_tokens");
                completion = Int(usage, "completion_tokens");
            }
            return new StreamChunk(HasText(root), prompt, completion, null, withText ? AnswerText(root) : null);
        }
        catch (JsonException e)
        {
            return new StreamChunk(false, null, null, $"stream chunk is not JSON: {e.Message}");
        }
    }

    // The answer's text of the first choice (not its reasoning).
    private static string? AnswerText(JsonElement root)
    {
        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0) return null;
        var choice = choices[0];
        if (choice.ValueKind != JsonValueKind.Object) return null;
        if (choice.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String) return text.GetString();
        return choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object
            && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String ? content.GetString() : null;
    }

    private static bool HasText(JsonElement root)
    {
        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array) return false;
        foreach (var choice in choices.EnumerateArray())
        {
            if (choice.ValueKind != JsonValueKind.Object) continue;
            if (NonEmpty(choice, "text")) return true;
            if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object
                && (NonEmpty(delta, "content") || NonEmpty(delta, "reasoning_content") || NonEmpty(delta, "reasoning")))
                return true;
        }
        return false;
    }

    private static bool NonEmpty(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0;

    private static int? Int(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) ? n : null;

    private static string ErrorMessage(JsonElement error) =>
        error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
            ? m.GetString()!
            : error.ToString();
}
