namespace Wafer.Cli.Benchmarking;

/// <summary>Reads the <c>data:</c> payloads of a server-sent-events stream, one event at a time, until <c>[DONE]</c> or the end of the stream.</summary>
/// <remarks>Follows the SSE framing: an event is the <c>data:</c> lines before a blank line, joined by '\n'; comments (':') and other fields are skipped.</remarks>
internal sealed class SseReader(Stream stream) : IDisposable
{
    private const string DoneMarker = "[DONE]";
    private readonly StreamReader reader = new(stream, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024);
    private readonly System.Text.StringBuilder pending = new();
    private bool done;

    /// <summary>The next event's data, or null at <c>[DONE]</c> or the end of the stream.</summary>
    public async ValueTask<string?> ReadEventAsync(CancellationToken cancellationToken)
    {
        if (done) return null;
        bool hasData = false;
        pending.Clear();
        while (true)
        {
            string? line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line == null)
            {
                done = true;
                return hasData ? Finish() : null;
            }
            if (line.Length == 0)
            {
                if (hasData) return Finish();
                continue;
            }
            if (!line.StartsWith("data:", StringComparison.Ordinal)) continue;
            // One optional space after the colon belongs to the framing, not the payload.
            int start = line.Length > 5 && line[5] == ' ' ? 6 : 5;
            if (hasData) pending.Append('\n');
            pending.Append(line, start, line.Length - start);
            hasData = true;
        }
    }

    private string? Finish()
    {
        string data = pending.ToString();
        if (data.Trim() != DoneMarker) return data;
        done = true;
        return null;
    }

    public void Dispose() => reader.Dispose();
}
