using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Wafer.OpenAi.Sse;

/// <summary>Splits server-sent-event bytes into events as they arrive, without a stream: the caller owns the buffer.</summary>
/// <remarks>
/// Follows the SSE framing: lines end in LF, CRLF or CR; an event is the <c>data:</c> lines before a blank line, joined by
/// '\n'; one space after the colon belongs to the framing; comments (':') and other fields (event, id, retry) are skipped;
/// a leading UTF-8 byte-order mark is dropped. Only whole lines are consumed, so a read may end anywhere, even inside a
/// UTF-8 character or between the CR and LF of one line ending.
/// </remarks>
public sealed class SseParser
{
    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    private readonly ArrayBufferWriter<byte> _data = new(256);
    private bool _hasData;
    private bool _dispatched;
    private long _consumedBytes;

    /// <summary>The data of the event the last successful <see cref="TryRead"/> returned, as UTF-8 bytes (unvalidated).</summary>
    public ReadOnlySpan<byte> Data => _dispatched ? _data.WrittenSpan : default;

    /// <summary>Whether that event is OpenAI's end marker <c>[DONE]</c>.</summary>
    public bool IsDone => _dispatched && _data.WrittenSpan.Trim(" \t"u8).SequenceEqual("[DONE]"u8);

    /// <summary>Bytes consumed since the start of the stream (for error messages).</summary>
    public long ConsumedBytes => _consumedBytes;

    /// <summary>Reads whole lines from <paramref name="input"/> until one completes an event.</summary>
    /// <param name="input">Bytes not yet consumed; pass the unconsumed rest again together with the next bytes read.</param>
    /// <param name="final">True when no more bytes will come: a last line without an ending, and an event without its blank line, still count.</param>
    /// <param name="consumed">How many bytes of <paramref name="input"/> were used, always whole lines.</param>
    /// <returns>True when an event is ready in <see cref="Data"/>.</returns>
    public bool TryRead(ReadOnlySpan<byte> input, bool final, out int consumed)
    {
        if (_dispatched)
        {
            _data.Clear();
            _hasData = false;
            _dispatched = false;
        }
        int pos = 0;
        if (_consumedBytes == 0 && input.StartsWith(ByteOrderMark)) pos = 3;
        while (pos < input.Length)
        {
            var rest = input[pos..];
            int eol = rest.IndexOfAny((byte)'\n', (byte)'\r');
            int lineLength, endingLength;
            if (eol < 0)
            {
                if (!final) break;
                lineLength = rest.Length;
                endingLength = 0;
            }
            else if (rest[eol] == '\n')
            {
                lineLength = eol;
                endingLength = 1;
            }
            else if (eol + 1 < rest.Length)
            {
                lineLength = eol;
                endingLength = rest[eol + 1] == '\n' ? 2 : 1;
            }
            else if (final)
            {
                lineLength = eol;
                endingLength = 1;
            }
            else
            {
                // A CR at the end of what has arrived: wait to see whether an LF follows, so CRLF is one ending.
                break;
            }
            var line = rest[..lineLength];
            pos += lineLength + endingLength;
            if (line.IsEmpty)
            {
                if (_hasData) return Dispatch(pos, out consumed);
                continue;
            }
            Field(line);
        }
        if (final && _hasData) return Dispatch(pos, out consumed);
        _consumedBytes += pos;
        consumed = pos;
        return false;
    }

    /// <summary>The ready event's data as text.</summary>
    /// <exception cref="SseFormatException">The data is not valid UTF-8.</exception>
    public string GetDataText()
    {
        var data = Data;
        if (Utf8.IsValid(data)) return Encoding.UTF8.GetString(data);
        int bad = FirstInvalidByte(data);
        throw new SseFormatException($"the server-sent event ending at byte {_consumedBytes} of the stream has data that is not valid UTF-8 " +
            $"(byte 0x{data[bad]:X2} at offset {bad} of the event's data); the server must send UTF-8 text");
    }

    private bool Dispatch(int pos, out int consumed)
    {
        _dispatched = true;
        _consumedBytes += pos;
        consumed = pos;
        return true;
    }

    private void Field(ReadOnlySpan<byte> line)
    {
        if (line[0] == ':') return;
        int colon = line.IndexOf((byte)':');
        var name = colon < 0 ? line : line[..colon];
        if (!name.SequenceEqual("data"u8)) return;
        var value = colon < 0 ? default : line[(colon + 1)..];
        if (!value.IsEmpty && value[0] == ' ') value = value[1..];
        if (_hasData) _data.Write("\n"u8);
        _data.Write(value);
        _hasData = true;
    }

    private static int FirstInvalidByte(ReadOnlySpan<byte> data)
    {
        int offset = 0;
        while (offset < data.Length)
        {
            var status = Rune.DecodeFromUtf8(data[offset..], out _, out int used);
            if (status != OperationStatus.Done) return offset;
            offset += used;
        }
        return 0;
    }
}
