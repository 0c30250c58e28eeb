using System.Text.Json;

namespace Wafer.Router.Forwarding;

/// <summary>Finds server-sent events in bytes read so far and reads what the router needs from an OpenAI chunk.</summary>
internal static class SseEvent
{
    /// <summary>Index just past the next complete event ("\n\n"-terminated) starting at <paramref name="start"/>, or -1.</summary>
    public static int NextEnd(ReadOnlySpan<byte> buffer, int start)
    {
        int i = buffer[start..].IndexOf("\n\n"u8);
        return i < 0 ? -1 : start + i + 2;
    }

    /// <summary>The JSON payload of one event's data line, or empty for comments, [DONE] and other lines.</summary>
    public static ReadOnlySpan<byte> Data(ReadOnlySpan<byte> ev)
    {
        int at = ev.IndexOf("data:"u8);
        if (at < 0) return default;
        var data = ev[(at + 5)..].TrimStart((byte)' ');
        int end = data.IndexOf((byte)'\n');
        if (end >= 0) data = data[..end];
        data = data.TrimEnd((byte)'\r');
        return data.SequenceEqual("[DONE]"u8) ? default : data;
    }

    /// <summary>Whether the event is [DONE].</summary>
    public static bool IsDone(ReadOnlySpan<byte> ev) => ev.IndexOf("data: [DONE]"u8) >= 0 || ev.IndexOf("data:[DONE]"u8) >= 0;

    /// <summary>Reads one chunk: its text, token logprobs, finish reason and usage.</summary>
    public static Chunk Parse(ReadOnlySpan<byte> data)
    {
        var chunk = new Chunk();
        if (data.IsEmpty) return chunk;
        try
        {
            var reader = new Utf8JsonReader(data);
            using var doc = JsonDocument.ParseValue(ref reader);
            Completion.Read(doc.RootElement, chunk, streaming: true);
        }
        catch (JsonException)
        {
            chunk.Malformed = true;
        }
        return chunk;
    }
}
