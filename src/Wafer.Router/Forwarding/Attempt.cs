using System.Buffers;
using System.Net.Http.Headers;
using Polly.CircuitBreaker;
using Wafer.OpenAi.Sse;
using Wafer.Router.Backends;

namespace Wafer.Router.Forwarding;

/// <summary>One request sent to one backend, read until it is ready to be answered: its first token (streaming) or its whole body.</summary>
/// <remarks>
/// Nothing an attempt reads reaches the client until the orchestrator picks it, so a failed
/// or slower attempt can be dropped: <see cref="Cancel"/> closes its connection at once and
/// the backend frees the request's KV cache.
/// </remarks>
internal sealed class Attempt : IAsyncDisposable
{
    private const int MaxErrorBodyBytes = 64 * 1024;
    private readonly CancellationTokenSource _cts;
    private readonly Backend.Lease _lease;
    private readonly TimeProvider _time;
    private readonly long _startedAt;
    private readonly SseParser _events = new();
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);

    /// <summary>Bytes of <see cref="_buffer"/> the event parser has consumed (whole lines).</summary>
    private int _scanned;
    private HttpResponseMessage? _response;
    private Stream? _body;

    public Attempt(Backend backend, long estimatedTokens, TimeProvider time, CancellationToken requestAborted)
    {
        Backend = backend;
        _time = time;
        _startedAt = time.GetTimestamp();
        _lease = backend.Begin(estimatedTokens);
        _cts = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
    }

    public Backend Backend { get; }

    /// <summary>Whether this attempt was sent as a hedge.</summary>
    public bool IsHedge { get; init; }

    /// <summary>The backend's status code.</summary>
    public int StatusCode { get; private set; }

    /// <summary>The backend's Content-Type.</summary>
    public MediaTypeHeaderValue? ContentType { get; private set; }

    /// <summary>The backend's <c>X-Wafer-KV-Precision</c> (which KV precision served the request, <c>wafer serve --adaptive</c>), or null.</summary>
    public string? KvPrecision { get; private set; }

    /// <summary>Bytes read from the backend and not yet written to the client.</summary>
    public ReadOnlyMemory<byte> Buffered => _buffer.AsMemory(0, BufferedCount);

    public int BufferedCount { get; private set; }

    /// <summary>Whether the backend's body has been read to its end.</summary>
    public bool Complete { get; private set; }

    /// <summary>Milliseconds from sending to ready (first token, or whole body).</summary>
    public double ReadyMs { get; private set; }

    /// <summary>What streamed chunks said so far (text, logprobs, finish, usage).</summary>
    public Chunk Summary { get; } = new();

    /// <summary>Streamed chunks that carried a token.</summary>
    public int TokenEvents { get; private set; }

    /// <summary>A 4xx answer that no other backend would change; passed to the client as is.</summary>
    public bool IsClientError => StatusCode is >= 400 and < 500;

    public CancellationToken Token => _cts.Token;

    /// <summary>Sends through the backend's circuit breaker and reads until ready; throws <see cref="UpstreamException"/>.</summary>
    public async Task<Attempt> RunAsync(HttpClient client, RouterRequest request, ReadOnlyMemory<byte> body, TimeSpan firstTokenTimeout)
    {
        // Until the backend is ready (first token, or its whole answer); current while sending, so it is the backend's parent.
        using var span = Hosting.RouterTracing.Source.StartActivity($"attempt {Backend.Name}", System.Diagnostics.ActivityKind.Client);
        span?.SetTag("wafer.backend", Backend.Name);
        span?.SetTag("wafer.hedge", IsHedge);
        span?.SetTag("gen_ai.request.model", request.Model);
        try
        {
            await Backend.Pipeline.ExecuteAsync(async token =>
            {
                using var timeout = new CancellationTokenSource(firstTokenTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
                try
                {
                    await SendAsync(client, request, body, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
                {
                    throw new UpstreamException($"backend '{Backend.Name}' sent no {(request.Stream ? "first token" : "answer")} within {firstTokenTimeout.TotalMilliseconds:0} ms", 504, true, true, e) { BackendName = Backend.Name };
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError }) Backend.MarkUnreachable();
                    throw new UpstreamException($"backend '{Backend.Name}' failed: {e.Message}", 502, true, true, e) { BackendName = Backend.Name };
                }
            }, _cts.Token).ConfigureAwait(false);
            ReadyMs = _time.GetElapsedTime(_startedAt).TotalMilliseconds;
            span?.SetTag("http.response.status_code", StatusCode);
            return this;
        }
        catch (BrokenCircuitException e)
        {
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "circuit open");
            await DisposeAsync().ConfigureAwait(false);
            throw new UpstreamException($"backend '{Backend.Name}' is ejected (circuit open)", 503, false, true, e) { BackendName = Backend.Name };
        }
        catch (Exception e)
        {
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task SendAsync(HttpClient client, RouterRequest request, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(Backend.BaseUri, request.Path.TrimStart('/')))
        {
            Content = new ReadOnlyMemoryContent(body),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (Backend.Config.ApiKey is { Length: > 0 } key) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Hosting.RouterTracing.Inject(message);
        _response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        StatusCode = (int)_response.StatusCode;
        ContentType = _response.Content.Headers.ContentType;
        KvPrecision = _response.Headers.TryGetValues("X-Wafer-KV-Precision", out var precision) ? precision.FirstOrDefault() : null;
        _body = await _response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        if (StatusCode >= 400)
        {
            while (!Complete && BufferedCount < MaxErrorBodyBytes) await ReadSomeAsync(ct).ConfigureAwait(false);
            bool retryable = StatusCode is >= 500 or 429 or 408;
            if (retryable)
                throw new UpstreamException($"backend '{Backend.Name}' answered {StatusCode}", StatusCode, StatusCode >= 500, true)
                {
                    BackendName = Backend.Name,
                    RetryAfter = BackendRetryAfter.From(_response.Headers.RetryAfter, _time.GetUtcNow()),
                };
            return;
        }
        if (request.Stream) await ReadTokensAsync(1, ct).ConfigureAwait(false);
        else
            while (!Complete) await ReadSomeAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Reads (streaming) until <paramref name="tokenEvents"/> chunks with a token have arrived or the stream ends.</summary>
    public async Task ReadTokensAsync(int tokenEvents, CancellationToken ct)
    {
        while (TokenEvents < tokenEvents && !Complete)
        {
            while (TokenEvents < tokenEvents)
            {
                bool ready = _events.TryRead(_buffer.AsSpan(_scanned, BufferedCount - _scanned), final: false, out int consumed);
                _scanned += consumed;
                if (!ready) break;
                if (_events.IsDone) continue;
                var chunk = Completion.ParseChunk(_events.Data);
                Summary.Text += chunk.Text;
                Summary.Logprobs.AddRange(chunk.Logprobs);
                Summary.FinishReason ??= chunk.FinishReason;
                Summary.PromptTokens ??= chunk.PromptTokens;
                Summary.CompletionTokens ??= chunk.CompletionTokens;
                if (chunk.HasToken) TokenEvents++;
            }
            if (TokenEvents < tokenEvents) await ReadSomeAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task ReadSomeAsync(CancellationToken ct)
    {
        if (BufferedCount == _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, BufferedCount).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        int n = await _body!.ReadAsync(_buffer.AsMemory(BufferedCount), ct).ConfigureAwait(false);
        if (n == 0) Complete = true;
        BufferedCount += n;
    }

    /// <summary>Copies the rest of the backend's body to <paramref name="destination"/>, flushing after every read so tokens are not held back.</summary>
    public async Task PumpAsync(Stream destination, Func<CancellationToken, Task> flush, CancellationToken ct)
    {
        if (Complete) return;
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _cts.Token);
            int n;
            while ((n = await _body!.ReadAsync(chunk, linked.Token).ConfigureAwait(false)) > 0)
            {
                await destination.WriteAsync(chunk.AsMemory(0, n), linked.Token).ConfigureAwait(false);
                await flush(linked.Token).ConfigureAwait(false);
            }
            Complete = true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>Drops the attempt now: the connection is closed, so the backend stops generating.</summary>
    public void Cancel()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!Complete) Cancel();
        _lease.Dispose();
        _body?.Dispose();
        _response?.Dispose();
        _cts.Dispose();
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
        return default;
    }
}
