namespace Wafer.OpenAi.Sse;

/// <summary>Reads the <c>data:</c> payloads of a server-sent-events stream, one event at a time, until <c>[DONE]</c> or the end of the stream.</summary>
/// <remarks>The framing rules are <see cref="SseParser"/>'s; an event cut off by the end of the stream still counts.</remarks>
public sealed class SseReader(Stream stream, int bufferBytes = 16 * 1024) : IDisposable
{
    private readonly SseParser _parser = new();
    private byte[] _buffer = new byte[Math.Max(bufferBytes, 16)];
    private int _start, _end;
    private bool _ended, _finished;

    /// <summary>Whether the stream ended with <c>[DONE]</c> (rather than just stopping).</summary>
    public bool SawDone { get; private set; }

    /// <summary>The next event's data, or null at <c>[DONE]</c> or the end of the stream.</summary>
    /// <exception cref="SseFormatException">An event's data is not valid UTF-8.</exception>
    public async ValueTask<string?> ReadEventAsync(CancellationToken cancellationToken)
    {
        while (!_finished)
        {
            bool ready = _parser.TryRead(_buffer.AsSpan(_start, _end - _start), _ended, out int used);
            _start += used;
            if (ready)
            {
                if (!_parser.IsDone) return _parser.GetDataText();
                SawDone = true;
                break;
            }
            if (_ended) break;
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
        _finished = true;
        return null;
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        // A line longer than the buffer: the parser consumes whole lines only, so the buffer grows to hold it.
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        int n = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (n == 0) _ended = true;
        _end += n;
    }

    public void Dispose() => stream.Dispose();
}
