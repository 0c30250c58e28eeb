using System.Net.Http.Headers;
using System.Net.Sockets;
using Wafer.OpenAi.Sse;
using Wafer.OpenAi.Streaming;

namespace Wafer.Bench;

/// <summary>Sends a streaming request to an OpenAI-compatible server and times each streamed chunk with the injected clock.</summary>
/// <remarks>
/// TTFT runs from just before the request is sent to the first chunk with text; ITLs are the gaps between chunks with text;
/// output tokens come from the server's <c>usage</c> when it sends one, else from the number of chunks with text.
/// </remarks>
internal sealed class OpenAiStreamingSender(HttpClient http, Uri baseAddress, string model, string? apiKey, EndpointKind endpoint,
    TimeProvider time, TimeSpan requestTimeout, bool ignoreEos) : IRequestSender
{
    private const int MaxErrorBodyChars = 300;
    private readonly Uri endpointUri = new(baseAddress, endpoint.Path());

    public async Task<RequestRecord> SendAsync(BenchRequest request, long levelStartTimestamp, CancellationToken cancellationToken)
    {
        byte[] body = RequestBody.Create(request, model, endpoint, ignoreEos);
        using var message = new HttpRequestMessage(HttpMethod.Post, endpointUri) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (!string.IsNullOrEmpty(apiKey)) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(requestTimeout);
        var stream = new StreamState(request, time, time.GetTimestamp(), levelStartTimestamp);
        try
        {
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            stream.StatusCode = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                string text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                return stream.Failed(stream.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture), Truncate(text));
            }
            using var reader = new SseReader(await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false));
            while (await reader.ReadEventAsync(timeout.Token).ConfigureAwait(false) is string data)
            {
                long now = time.GetTimestamp();
                var chunk = StreamChunk.Parse(data);
                if (chunk.Error != null) return stream.Failed("stream_error", Truncate(chunk.Error));
                stream.Add(chunk, now);
            }
            return stream.Finished();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return stream.Failed("timeout", $"no complete response within {requestTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            return stream.Failed(Classify(e), e.Message);
        }
        catch (IOException e)
        {
            return stream.Failed("connection_error", e.Message);
        }
        catch (SseFormatException e)
        {
            return stream.Failed("stream_error", Truncate(e.Message));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever else a misbehaving server provokes is one failed request, never the end of the run.
            return stream.Failed("client_error", $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static string Classify(HttpRequestException e)
    {
        for (Exception? inner = e; inner != null; inner = inner.InnerException)
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused }) return "connection_refused";
        return e.HttpRequestError == HttpRequestError.ResponseEnded ? "stream_error" : "connection_error";
    }

    private static string Truncate(string text) => text.Length <= MaxErrorBodyChars ? text : text[..MaxErrorBodyChars] + "…";

    /// <summary>The timings of one stream as its chunks arrive.</summary>
    private sealed class StreamState(BenchRequest request, TimeProvider time, long sentTimestamp, long levelStartTimestamp)
    {
        private readonly List<double> itl = new(request.MaxTokens);
        private long firstTimestamp = -1, lastTimestamp;
        private int chunkCount;
        private int? promptTokens, completionTokens;

        public int StatusCode { get; set; }

        public void Add(StreamChunk chunk, long now)
        {
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
                ErrorKind = errorKind,
                ErrorMessage = errorMessage,
                TtftMs = firstTimestamp >= 0 ? time.GetElapsedTime(sentTimestamp, firstTimestamp).TotalMilliseconds : null,
                ItlMs = [.. itl],
                E2eMs = time.GetElapsedTime(sentTimestamp, end).TotalMilliseconds,
                PromptTokens = promptTokens ?? request.PromptWordCount,
                OutputTokens = completionTokens ?? chunkCount,
                UsageReported = completionTokens != null,
            };
        }
    }
}
