using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Wafer.Bench.Tests.Support;

/// <summary>Answers every request with a streamed chat answer whose chunks arrive on a <see cref="ManualClock"/> schedule:
/// reading a chunk first moves the clock on by its delay, so a client timing chunks with that clock sees the schedule exactly.</summary>
internal sealed class ScheduledStreamHandler(ManualClock clock, TimeSpan firstToken, TimeSpan interval, int tokens) : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var chunks = new List<(TimeSpan Delay, byte[] Bytes)> { (TimeSpan.Zero, Event("""{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}""")) };
        for (int k = 0; k < tokens; k++)
            chunks.Add((k == 0 ? firstToken : interval, Event($$"""{"choices":[{"index":0,"delta":{"content":" w{{k}}"},"finish_reason":null}]}""")));
        chunks.Add((TimeSpan.Zero, Event($$$"""{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":{{{tokens}}}}}""")));
        chunks.Add((TimeSpan.Zero, Event("[DONE]")));
        var content = new StreamContent(new ScheduledStream(clock, chunks));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
    }

    private static byte[] Event(string data) => Encoding.UTF8.GetBytes("data: " + data + "\n\n");

    /// <summary>Hands out one chunk per read, advancing the clock by the chunk's delay before its first byte.</summary>
    private sealed class ScheduledStream(ManualClock clock, List<(TimeSpan Delay, byte[] Bytes)> chunks) : Stream
    {
        private int _chunk, _offset;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_chunk == chunks.Count) return 0;
            var (delay, bytes) = chunks[_chunk];
            if (_offset == 0 && delay > TimeSpan.Zero) clock.Advance(delay);
            int n = Math.Min(count, bytes.Length - _offset);
            Array.Copy(bytes, _offset, buffer, offset, n);
            _offset += n;
            if (_offset == bytes.Length)
            {
                _chunk++;
                _offset = 0;
            }
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer, offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            var array = new byte[buffer.Length];
            int n = Read(array, 0, array.Length);
            array.AsSpan(0, n).CopyTo(buffer.Span);
            return ValueTask.FromResult(n);
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
