using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Wafer.OpenAi.Errors;
using Wafer.OpenAi.Hosting;
using Wafer.OpenAi.Json;
using Wafer.OpenAi.Sse;

namespace Wafer.Bench;

/// <summary>An OpenAI-compatible streaming server that emits tokens on a known schedule, with optional stragglers and scripted
/// failures: the truth a load generator's measurements are checked against, the stand-in backend of the router's tests, and a
/// stand-in backend for router benchmarks (<c>wafer bench fake-server</c>).</summary>
/// <remarks>Token k of a request is written at arrival + first-token delay + k × token interval (absolute deadlines, so timer
/// overshoot does not accumulate). A client that closes the connection ends its request at once. Each request reads
/// <see cref="Options"/> once, so options swapped while it runs apply from the next request on.</remarks>
internal sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private FakeServerOptions options;
    private int requestCount;
    private int stragglerCount;
    private int cancelledCount;
    private int endedCount;

    private FakeOpenAiServer(WebApplication app, FakeServerOptions options)
    {
        this.app = app;
        this.options = options;
    }

    /// <summary>How the server answers; set new options to change how the next requests are answered.</summary>
    public FakeServerOptions Options
    {
        get => Volatile.Read(ref options);
        set
        {
            value.Validate();
            Volatile.Write(ref options, value);
        }
    }

    /// <summary>The address it listens on, without a trailing slash, e.g. http://127.0.0.1:51234.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Generation requests received.</summary>
    public int RequestCount => Volatile.Read(ref requestCount);

    /// <summary>Requests whose first token was delayed as stragglers (what the server injected).</summary>
    public int StragglerCount => Volatile.Read(ref stragglerCount);

    /// <summary>Requests whose client closed the connection before the answer ended.</summary>
    public int CancelledCount => Volatile.Read(ref cancelledCount);

    /// <summary>Requests whose handler has returned (answered, refused or cancelled); equal to <see cref="RequestCount"/> when none is in flight.</summary>
    public int EndedCount => Volatile.Read(ref endedCount);

    /// <summary>What the server actually did, per streamed request (when <see cref="FakeServerOptions.RecordServed"/>).</summary>
    public ConcurrentQueue<ServedStream> Served { get; } = new();

    /// <summary>The body of the most recent request.</summary>
    public string? LastBody { get; private set; }

    public static async Task<FakeOpenAiServer> StartAsync(FakeServerOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        string host = options.Host is "localhost" ? "127.0.0.1" : options.Host;
        if (!IPAddress.TryParse(host, out _)) throw new ArgumentException($"--host {options.Host}: use an IP address such as 127.0.0.1, or localhost");
        var app = KestrelHost.CreateBuilder(host, options.Port, consoleLogging: false).Build();
        var server = new FakeOpenAiServer(app, options);
        app.MapGet("/health", () => server.Options.Healthy ? Results.Json(new { status = "ok" }) : Results.Json(new { status = "unhealthy" }, statusCode: 503));
        app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = new[] { new { id = server.Options.Model, @object = "model", owned_by = "fake" } } }));
        app.MapPost("/v1/chat/completions", ctx => server.HandleAsync(ctx, chat: true));
        app.MapPost("/v1/completions", ctx => server.HandleAsync(ctx, chat: false));
        using var start = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        start.CancelAfter(TimeSpan.FromSeconds(10));
        server.Url = (await KestrelHost.StartAsync(app, start.Token)).ToString().TrimEnd('/');
        return server;
    }

    /// <summary>Until the process is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => app.WaitForShutdownAsync();

    private async Task HandleAsync(HttpContext ctx, bool chat)
    {
        try
        {
            await AnswerAsync(ctx, chat);
        }
        finally
        {
            Interlocked.Increment(ref endedCount);
        }
    }

    private async Task AnswerAsync(HttpContext ctx, bool chat)
    {
        long arrival = Stopwatch.GetTimestamp();
        var o = Options;
        int number = Interlocked.Increment(ref requestCount) - 1;
        using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
        string body = await reader.ReadToEndAsync(ctx.RequestAborted);
        LastBody = body;
        if (o.FailWith(number) is { } failure)
        {
            foreach (var (name, value) in failure.Headers ?? new Dictionary<string, string>()) ctx.Response.Headers[name] = value;
            await WriteErrorAsync(ctx, failure.Status, failure.Message ?? $"fake {failure.Status}");
            return;
        }
        FakeAnswer answer;
        try
        {
            answer = FakeAnswer.Read(body, o, chat);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            await WriteErrorAsync(ctx, 400, "the body is not a JSON request object: " + e.Message);
            return;
        }
        if (answer.TokenCount < 1)
        {
            await WriteErrorAsync(ctx, 400, "max_tokens must be at least 1");
            return;
        }
        if (o.KvPrecisionFor(number) is { } precision) ctx.Response.Headers["X-Wafer-KV-Precision"] = precision;
        bool straggler = false;
        var firstToken = o.FirstTokenDelay;
        if (o.FirstTokenDelayFor(number) is TimeSpan scripted) firstToken = scripted;
        else if (o.IsStraggler(number))
        {
            Interlocked.Increment(ref stragglerCount);
            straggler = true;
            firstToken = o.StragglerDelay;
        }
        try
        {
            if (answer.Stream)
            {
                long[] written = await StreamAsync(ctx, answer, arrival, firstToken, o.TokenInterval);
                if (o.RecordServed) Served.Enqueue(new ServedStream(number, straggler, body, arrival, written));
            }
            else
            {
                await DelayUntilAsync(arrival, firstToken + o.TokenInterval * (answer.TokenCount - 1), ctx.RequestAborted);
                ctx.Response.ContentType = "application/json";
                await using var json = new Utf8JsonWriter(ctx.Response.Body, OpenAiJsonOptions.Writer);
                answer.WriteWhole(json);
                await json.FlushAsync(ctx.RequestAborted);
            }
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            Interlocked.Increment(ref cancelledCount);
        }
    }

    private static async Task<long[]> StreamAsync(HttpContext ctx, FakeAnswer answer, long arrival, TimeSpan firstToken, TimeSpan interval)
    {
        var sse = new SseWriter(ctx.Response);
        var ct = ctx.RequestAborted;
        if (answer.Chat) await sse.WriteAsync(answer.WriteRole, ct);
        var written = new long[answer.TokenCount];
        for (int k = 0; k < answer.TokenCount; k++)
        {
            await DelayUntilAsync(arrival, firstToken + interval * k, ct);
            int token = k;
            await sse.WriteAsync(w => answer.WriteToken(w, token), ct);
            written[k] = Stopwatch.GetTimestamp();
        }
        if (answer.Usage) await sse.WriteAsync(answer.WriteUsage, ct);
        await sse.DoneAsync(ct);
        return written;
    }

    private static Task WriteErrorAsync(HttpContext ctx, int status, string message) =>
        OpenAiErrorResponse.WriteAsync(ctx.Response, status, new OpenAiError(message, status >= 500 ? "server_error" : "invalid_request_error"), null, ctx.RequestAborted);

    /// <summary>Waits until <paramref name="offset"/> after arrival has passed: never earlier, since timers on a coarse clock may fire early.</summary>
    private static async Task DelayUntilAsync(long arrival, TimeSpan offset, CancellationToken cancellationToken)
    {
        for (var wait = offset - Stopwatch.GetElapsedTime(arrival); wait > TimeSpan.Zero; wait = offset - Stopwatch.GetElapsedTime(arrival))
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds)), cancellationToken);
    }

    /// <summary>The truth about one streamed request: its arrival number, whether it was made to straggle, its body, when it
    /// arrived and when each token was flushed to the socket.</summary>
    public sealed record ServedStream(int Number, bool Straggler, string Body, long ArrivalTimestamp, long[] TokenTimestamps)
    {
        public double TtftMs => Stopwatch.GetElapsedTime(ArrivalTimestamp, TokenTimestamps[0]).TotalMilliseconds;

        public IEnumerable<double> ItlMs => TokenTimestamps.Skip(1).Select((t, i) => Stopwatch.GetElapsedTime(TokenTimestamps[i], t).TotalMilliseconds);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(stop.Token);
        await app.DisposeAsync();
    }
}
