using System.Text.Json;

namespace Wafer.Router.Forwarding;

/// <summary>Reads text, logprobs, finish reason and usage from chat.completion(.chunk) and text_completion JSON.</summary>
internal static class Completion
{
    /// <summary>Reads a whole (non-streamed) answer.</summary>
    public static Chunk Parse(ReadOnlySpan<byte> json) => Parse(json, streaming: false);

    /// <summary>Reads one streamed event's data; empty data gives an empty chunk.</summary>
    public static Chunk ParseChunk(ReadOnlySpan<byte> data) => data.IsEmpty ? new Chunk() : Parse(data, streaming: true);

    private static Chunk Parse(ReadOnlySpan<byte> json, bool streaming)
    {
        var chunk = new Chunk();
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            Read(doc.RootElement, chunk, streaming);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is not valid UTF-8.
            chunk.Malformed = true;
        }
        return chunk;
    }

    public static void Read(JsonElement root, Chunk chunk, bool streaming)
    {
        if (root.ValueKind != JsonValueKind.Object) return;
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            if (usage.TryGetProperty("prompt_tokens", out var p) && p.TryGetInt64(out long pt)) chunk.PromptTokens = pt;
            if (usage.TryGetProperty("completion_tokens", out var c) && c.TryGetInt64(out long ct)) chunk.CompletionTokens = ct;
        }
        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0) return;
        var choice = choices[0];
        if (choice.TryGetProperty(streaming ? "delta" : "message", out var message) && message.ValueKind == JsonValueKind.Object
            && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
            chunk.Text = content.GetString()!;
        else if (choice.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            chunk.Text = text.GetString()!;
        if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String) chunk.FinishReason = finish.GetString();
        if (!choice.TryGetProperty("logprobs", out var logprobs) || logprobs.ValueKind != JsonValueKind.Object) return;
        if (logprobs.TryGetProperty("content", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in list.EnumerateArray())
                if (t.TryGetProperty("logprob", out var lp) && lp.TryGetDouble(out double v)) chunk.Logprobs.Add(v);
        }
        else if (logprobs.TryGetProperty("token_logprobs", out var values) && values.ValueKind == JsonValueKind.Array)
        {
            foreach (var v in values.EnumerateArray())
                if (v.TryGetDouble(out double d)) chunk.Logprobs.Add(d);
        }
    }
}
