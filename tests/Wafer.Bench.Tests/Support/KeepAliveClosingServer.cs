using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Wafer.Bench.Tests.Support;

/// <summary>A raw HTTP/1.1 server on 127.0.0.1 that answers streaming chat requests with a valid SSE body and keeps each connection
/// alive (chunked, no <c>Connection: close</c>), then breaks its connections the way real servers do, as <see cref="Fate"/> says.</summary>
/// <remarks>It breaks a connection when the next request arrives rather than after an idle gap, so what the client meets is
/// deterministic and counted exactly: every request that came on a kept-alive connection and was closed or reset unanswered is one
/// <see cref="ClosedOnReuseCount"/>, whatever the timing.</remarks>
internal sealed class KeepAliveClosingServer : IAsyncDisposable
{
    /// <summary>What the server does with a connection.</summary>
    public enum Fate
    {
        /// <summary>Answer its first request; close it (FIN) when a second comes, unanswered: a server that timed out an idle
        /// connection, or reached its limit of requests per connection, just as the client wrote to it.</summary>
        CloseOnReuse,

        /// <summary>As <see cref="CloseOnReuse"/>, but reset it (RST).</summary>
        ResetOnReuse,

        /// <summary>Send the status line, the headers and the first token of every answer, then reset the connection.</summary>
        ResetAfterHeaders,

        /// <summary>Answer every request in full, still without <c>Connection: close</c>, and close the connection right after: the
        /// client either sees the close before it reuses the connection or writes its next request into it, as timing decides.</summary>
        CloseAfterAnswer,
    }

    private const int Tokens = 3;
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly List<Task> handlers = [];
    private readonly Fate fate;
    private readonly Task acceptLoop;
    private int answeredCount, closedOnReuseCount, resetAfterHeadersCount;

    public KeepAliveClosingServer(Fate fate)
    {
        this.fate = fate;
        listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        acceptLoop = AcceptAsync();
    }

    public string Url { get; }

    /// <summary>Requests answered in full.</summary>
    public int AnsweredCount => Volatile.Read(ref answeredCount);

    /// <summary>Requests that arrived on a kept-alive connection and were closed or reset without a byte of answer.</summary>
    public int ClosedOnReuseCount => Volatile.Read(ref closedOnReuseCount);

    /// <summary>Answers reset after their headers and first token.</summary>
    public int ResetAfterHeadersCount => Volatile.Read(ref resetAfterHeadersCount);

    private async Task AcceptAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var socket = await listener.AcceptSocketAsync(stop.Token);
                lock (handlers) handlers.Add(ServeAsync(socket));
            }
        }
        // A listener stopped between two accepts answers the next one with InvalidOperationException ("Not listening").
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        // One write per answer part and no Nagle delay: what is sent is on the wire before a reset, which discards unsent bytes.
        socket.NoDelay = true;
        var reader = new RequestReader(socket);
        try
        {
            for (int n = 0; ; n++)
            {
                if (await reader.ReadAsync(stop.Token) is not { } connectionClose) return; // the client closed it
                if (n > 0 && fate is Fate.CloseOnReuse or Fate.ResetOnReuse)
                {
                    Interlocked.Increment(ref closedOnReuseCount);
                    if (fate == Fate.ResetOnReuse) socket.LingerState = new LingerOption(true, 0);
                    return;
                }
                if (fate == Fate.ResetAfterHeaders)
                {
                    Interlocked.Increment(ref resetAfterHeadersCount);
                    await socket.SendAsync(Encoding.ASCII.GetBytes(Head).Concat(Chunk(Role)).Concat(Chunk(Token(0))).ToArray(), stop.Token);
                    socket.LingerState = new LingerOption(true, 0);
                    return;
                }
                // Counted before the bytes go out: a client can finish reading an answer before this thread runs again.
                Interlocked.Increment(ref answeredCount);
                await socket.SendAsync(Answer(), stop.Token);
                if (connectionClose || fate == Fate.CloseAfterAnswer) return;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException)
        {
            // The client went away or the server is stopping.
        }
        finally
        {
            socket.Dispose();
        }
    }

    private const string Head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";

    private const string Role = """{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}""";

    private static string Token(int k) => $$"""{"choices":[{"index":0,"delta":{"content":" w{{k}}"},"finish_reason":null}]}""";

    /// <summary>A whole streamed answer: headers, role, <see cref="Tokens"/> tokens, usage, [DONE], and the last chunk.</summary>
    private static byte[] Answer()
    {
        var bytes = new List<byte>(Encoding.ASCII.GetBytes(Head));
        bytes.AddRange(Chunk(Role));
        for (int k = 0; k < Tokens; k++) bytes.AddRange(Chunk(Token(k)));
        bytes.AddRange(Chunk($$$"""{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":{{{Tokens}}}}}"""));
        bytes.AddRange(Chunk("[DONE]"));
        bytes.AddRange("0\r\n\r\n"u8.ToArray());
        return [.. bytes];
    }

    /// <summary>One SSE event as one HTTP chunk.</summary>
    private static byte[] Chunk(string data)
    {
        byte[] sse = Encoding.UTF8.GetBytes("data: " + data + "\n\n");
        return [.. Encoding.ASCII.GetBytes($"{sse.Length:X}\r\n"), .. sse, .. "\r\n"u8.ToArray()];
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await acceptLoop;
        Task[] running;
        lock (handlers) running = [.. handlers];
        await Task.WhenAll(running);
        stop.Dispose();
    }

    /// <summary>Reads one request at a time from a connection: the head up to the blank line, then Content-Length bytes of body.</summary>
    private sealed class RequestReader(Socket socket)
    {
        private readonly byte[] buffer = new byte[64 * 1024];
        private int length;

        /// <summary>Whether the request asked for <c>Connection: close</c>, or null when the client closed the connection first.</summary>
        public async Task<bool?> ReadAsync(CancellationToken cancellationToken)
        {
            int headEnd;
            while ((headEnd = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
                if (!await FillAsync(cancellationToken)) return null;
            string head = Encoding.ASCII.GetString(buffer, 0, headEnd);
            int contentLength = 0;
            bool connectionClose = false;
            foreach (string line in head.Split("\r\n").Skip(1))
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                string name = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) contentLength = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase)) connectionClose = value.Equals("close", StringComparison.OrdinalIgnoreCase);
            }
            int requestEnd = headEnd + 4 + contentLength;
            while (length < requestEnd)
                if (!await FillAsync(cancellationToken)) return null;
            buffer.AsSpan(requestEnd, length - requestEnd).CopyTo(buffer);
            length -= requestEnd;
            return connectionClose;
        }

        private async Task<bool> FillAsync(CancellationToken cancellationToken)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
            length += n;
            return n > 0;
        }
    }
}
