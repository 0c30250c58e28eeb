using System.Net.Http.Headers;
using System.Net.Sockets;
using Wafer.OpenAi.Sse;
using Wafer.OpenAi.Streaming;

namespace Wafer.Bench;

/// <summary>Sends a streaming request to an OpenAI-compatible server and times each streamed chunk with the injected clock.</summary>
/// <remarks>
/// TTFT runs from just before the request is sent to the first chunk with text; ITLs are the gaps between chunks with text;
/// output tokens come from the server's <c>usage</c> when it sends one, else from the number of chunks with text.
/// Step 1: send the request on a pooled connection.
/// Step 2: if the server had closed that connection before answering (see <see cref="IsClosedBeforeResponse"/>), send it once more
///         through <c>reconnectHttp</c> (a fresh connection; when null, <c>http</c> again) and mark the record
///         <see cref="RequestRecord.Reconnected"/>; whatever the retry meets, its record is the request's.
/// </remarks>
internal sealed class OpenAiStreamingSender(HttpClient http, Uri baseAddress, string model, string? apiKey, EndpointKind endpoint,
    TimeProvider time, TimeSpan requestTimeout, bool ignoreEos, HttpClient? reconnectHttp = null) : IRequestSender
{
    private const int MaxErrorBodyChars = 300;
    private readonly Uri endpointUri = new(baseAddress, endpoint.Path());

    public async Task<RequestRecord> SendAsync(BenchRequest request, long levelStartTimestamp, CancellationToken cancellationToken)
    {
        byte[] body = RequestBody.Create(request, model, endpoint, ignoreEos);
        // Step 1
        var first = await AttemptAsync(http, request, body, levelStartTimestamp, reconnect: false, cancellationToken).ConfigureAwait(false);
        if (!first.ClosedBeforeResponse) return first.Record;
        // Step 2: the server had closed a kept-alive connection (its idle timeout, its limit of requests per connection) and the answer's
        // status line never came: a stale connection of the client's pool, not a failure of the server, so retried, not counted as an error.
        // The retry's record is timed from the retry (a new start, TTFT and E2E): the failed attempt's milliseconds, a write and an EOF
        // on a dead socket, are not the server's latency.
        var retry = await AttemptAsync(reconnectHttp ?? http, request, body, levelStartTimestamp, reconnect: true, cancellationToken).ConfigureAwait(false);
        return retry.Record with { Reconnected = true };
    }

    /// <summary>One try of a request; <see cref="Attempt.ClosedBeforeResponse"/> says whether it may be retried.</summary>
    private async Task<Attempt> AttemptAsync(HttpClient client, BenchRequest request, byte[] body, long levelStartTimestamp, bool reconnect,
        CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, endpointUri) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (!string.IsNullOrEmpty(apiKey)) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        // A reconnect's connection is not kept: it would be the next stale one.
        if (reconnect) message.Headers.ConnectionClose = true;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(requestTimeout);
        var stream = new StreamState(request, time, time.GetTimestamp(), levelStartTimestamp);
        bool responseStarted = false;
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            responseStarted = true;
            stream.StatusCode = (int)response.StatusCode;
            if (response.Headers.TryGetValues("X-Wafer-KV-Precision", out var precision)) stream.KvPrecision = precision.FirstOrDefault();
            if (!response.IsSuccessStatusCode)
            {
                string text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                return new(stream.Failed(stream.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture), Truncate(text)));
            }
            using var reader = new SseReader(await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false));
            while (await reader.ReadEventAsync(timeout.Token).ConfigureAwait(false) is string data)
            {
                long now = time.GetTimestamp();
                var chunk = StreamChunk.Parse(data, withText: request.CaptureText);
                if (chunk.Error != null) return new(stream.Failed("stream_error", Truncate(chunk.Error)));
                stream.Add(chunk, now);
            }
            return new(stream.Finished());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new(stream.Failed("timeout", $"no complete response within {requestTimeout.TotalSeconds:0.#} s"));
        }
        catch (HttpRequestException e) when (!responseStarted && IsClosedBeforeResponse(e))
        {
            string what = reconnect ? "a fresh connection too" : "the kept-alive connection";
            return new(stream.Failed("connection_error", $"the server closed {what} before answering: {Describe(e)}"), ClosedBeforeResponse: true);
        }
        catch (Exception e) when (responseStarted && e is HttpRequestException or IOException)
        {
            // The status line and headers had come: the answer broke off, which is the server's stream failing, never retried.
            return new(stream.Failed("stream_error", Truncate(Describe(e))));
        }
        catch (HttpRequestException e)
        {
            return new(stream.Failed(Classify(e), Describe(e)));
        }
        catch (IOException e)
        {
            return new(stream.Failed("connection_error", e.Message));
        }
        catch (SseFormatException e)
        {
            return new(stream.Failed("stream_error", Truncate(e.Message)));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever else a misbehaving server provokes is one failed request, never the end of the run.
            return new(stream.Failed("client_error", $"{e.GetType().Name}: {e.Message}"));
        }
    }

    /// <summary>Whether a request failed, before any response header came, because the server had closed or reset the connection it
    /// was written to: EOF where the status line should be, or a reset, abort or broken pipe while writing or waiting. Failures to
    /// connect (refused, unreachable, DNS, TLS) are not: nothing had been kept alive, the server is down or wrong.</summary>
    /// <remarks>SocketsHttpHandler retries this case itself only for requests without a body; a POST surfaces it (dotnet/runtime
    /// HttpConnection: <c>_canRetry</c> is set only when <c>request.Content is null</c>).</remarks>
    internal static bool IsClosedBeforeResponse(HttpRequestException e)
    {
        if (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError
            or HttpRequestError.ProxyTunnelError)
            return false;
        if (e.HttpRequestError == HttpRequestError.ResponseEnded) return true;
        for (Exception? inner = e.InnerException; inner != null; inner = inner.InnerException)
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown })
                return true;
        return false;
    }

    private static string Classify(HttpRequestException e)
    {
        for (Exception? inner = e; inner != null; inner = inner.InnerException)
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused }) return "connection_refused";
        return "connection_error";
    }

    /// <summary>The exception's message and its innermost cause's ("An error occurred while sending the request." says little alone).</summary>
    private static string Describe(Exception e)
    {
        var innermost = e;
        while (innermost.InnerException != null) innermost = innermost.InnerException;
        return ReferenceEquals(innermost, e) ? e.Message : $"{e.Message} ({innermost.Message})";
    }

    /// <summary>An error text as a record keeps it: at most 300 characters, an ellipsis where it was cut (also the soak's).</summary>
    internal static string Truncate(string text) => text.Length <= MaxErrorBodyChars ? text : text[..MaxErrorBodyChars] + "…";

    /// <summary>The record of one try, and whether it failed because the server had closed the connection before answering.</summary>
    private readonly record struct Attempt(RequestRecord Record, bool ClosedBeforeResponse = false);

    /// <summary>The timings of one stream as its chunks arrive.</summary>
    private sealed class StreamState(BenchRequest request, TimeProvider time, long sentTimestamp, long levelStartTimestamp)
    {
        private readonly List<double> itl = new(request.MaxTokens);
        private long firstTimestamp = -1, lastTimestamp;
        private int chunkCount;
        private int? promptTokens, completionTokens;
        private readonly System.Text.StringBuilder? text = request.CaptureText ? new() : null;

        public int StatusCode { get; set; }

        public string? KvPrecision { get; set; }

        public void Add(StreamChunk chunk, long now)
        {
            if (chunk.Text != null) text?.Append(chunk.Text);
            if (chunk.PromptTokens is int p) promptTokens = p;
            if (chunk.CompletionTokens is int c) completionTokens = c;
            if (!chunk.HasContent) return;
            if (firstTimestamp < 0) firstTimestamp = now;
            else itl.Add(time.GetElapsedTime(lastTimestamp, now).TotalMilliseconds);
            lastTimestamp = now;
            chunkCount++;
        }

        public RequestRecord Finished() => chunkCount == 0 ? Failed("no_tokens", "the stream ended without any generated text") : Record(null, null);

        public RequestRecord Failed(string kind, string message) => Record(kind, message);

        private RequestRecord Record(string? errorKind, string? errorMessage)
        {
            long end = time.GetTimestamp();
            return new RequestRecord
            {
                Index = request.Index,
                StartMs = time.GetElapsedTime(levelStartTimestamp, sentTimestamp).TotalMilliseconds,
                StatusCode = StatusCode,
                KvPrecision = KvPrecision,
                ErrorKind = errorKind,
                ErrorMessage = errorMessage,
                TtftMs = firstTimestamp >= 0 ? time.GetElapsedTime(sentTimestamp, firstTimestamp).TotalMilliseconds : null,
                ItlMs = [.. itl],
                E2eMs = time.GetElapsedTime(sentTimestamp, end).TotalMilliseconds,
                PromptTokens = promptTokens ?? request.PromptWordCount,
                OutputTokens = completionTokens ?? chunkCount,
                UsageReported = completionTokens != null,
                Text = text?.ToString(),
            };
        }
    }
}
