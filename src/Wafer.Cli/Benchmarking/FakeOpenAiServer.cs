using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Wafer.Cli.Benchmarking;

/// <summary>How a <see cref="FakeOpenAiServer"/> answers: its token schedule, its stragglers and its failures.</summary>
internal sealed record FakeServerOptions
{
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 = any free port.</summary>
    public int Port { get; init; }

    /// <summary>Name listed by <c>GET /v1/models</c> (any model name is answered).</summary>
    public string Model { get; init; } = "fake";

    public TimeSpan FirstTokenDelay { get; init; }

    public TimeSpan TokenInterval { get; init; }

    /// <summary>Share of requests whose first token is late by <see cref="StragglerDelay"/> instead of <see cref="FirstTokenDelay"/>.</summary>
    public double StragglerFraction { get; init; }

    public TimeSpan StragglerDelay { get; init; }

    /// <summary>Chooses the stragglers: the same seed and arrival order give the same stragglers.</summary>
    public ulong Seed { get; init; }

    /// <summary>Tokens per answer when a request gives no <c>max_tokens</c>.</summary>
    public int DefaultTokens { get; init; } = 16;

    /// <summary>Whether the last chunk carries <c>usage</c> (only when the client asked for it).</summary>
    public bool SendUsage { get; init; } = true;

    /// <summary>Maps the 0-based arrival number of a request to an error status to answer with, or null to stream.</summary>
    public Func<int, int?> FailWith { get; init; } = _ => null;

    /// <summary>Keep a <see cref="FakeOpenAiServer.ServedStream"/> per request (tests; unbounded, so off for long runs).</summary>
    public bool RecordServed { get; init; }

    /// <summary>Whether request <paramref name="number"/> (0-based arrival order) is a straggler: a hash of seed and number, so the choice is stable and independent of timing.</summary>
    public bool IsStraggler(int number)
    {
        if (StragglerFraction <= 0) return false;
        ulong z = Seed * 0x9E3779B97F4A7C15UL + (ulong)number + 1;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53)) < StragglerFraction;
    }
}

/// <summary>An OpenAI-compatible streaming server that emits tokens on a known schedule, with optional stragglers: the truth
/// a load generator's measurements are checked against, and a stand-in backend for router benchmarks (<c>wafer bench fake-server</c>).</summary>
/// <remarks>Token k of a request is written at arrival + first-token delay + k × token interval (absolute deadlines, so timer
/// overshoot does not accumulate). A client that closes the connection ends its request at once.</remarks>
internal sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private int requestCount;
    private int stragglerCount;
    private int cancelledCount;

    private FakeOpenAiServer(WebApplication app, FakeServerOptions options)
    {
        this.app = app;
        Options = options;
    }

    public FakeServerOptions Options { get; }

    public string Url { get; private set; } = "";

    public int RequestCount => Volatile.Read(ref requestCount);

    public int StragglerCount => Volatile.Read(ref stragglerCount);

    /// <summary>Requests whose client closed the connection before the answer ended.</summary>
    public int CancelledCount => Volatile.Read(ref cancelledCount);

    /// <summary>What the server actually did, per streamed request (when <see cref="FakeServerOptions.RecordServed"/>).</summary>
    public ConcurrentQueue<ServedStream> Served { get; } = new();

    /// <summary>The body of the most recent request.</summary>
    public string? LastBody { get; private set; }

    public static async Task<FakeOpenAiServer> StartAsync(FakeServerOptions options, CancellationToken cancellationToken = default)
    {
        if (options.StragglerFraction is < 0 or > 1 || double.IsNaN(options.StragglerFraction))
            throw new ArgumentException($"--straggler-fraction {options.StragglerFraction}: use a share between 0 and 1, e.g. 0.05");
        if (options.FirstTokenDelay < TimeSpan.Zero || options.TokenInterval < TimeSpan.Zero || options.StragglerDelay < TimeSpan.Zero)
            throw new ArgumentException("delays must be zero or positive milliseconds");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var address = options.Host is "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Host);
        builder.WebHost.UseKestrel(k => k.Listen(address, options.Port));
        var app = builder.Build();
        var server = new FakeOpenAiServer(app, options);
        app.MapGet("/health", () => Results.Json(new { status = "ok" }));
        app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = new[] { new { id = options.Model, @object = "model", owned_by = "fake" } } }));
        app.MapPost("/v1/chat/completions", ctx => server.HandleAsync(ctx, chat: true));
        app.MapPost("/v1/completions", ctx => server.HandleAsync(ctx, chat: false));
        using var start = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        start.CancelAfter(TimeSpan.FromSeconds(10));
        await app.StartAsync(start.Token);
        server.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return server;
    }

    /// <summary>Until the process is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => app.WaitForShutdownAsync();

    private async Task HandleAsync(HttpContext ctx, bool chat)
    {
        long arrival = Stopwatch.GetTimestamp();
        int number = Interlocked.Increment(ref requestCount) - 1;
        using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
        string body = await reader.ReadToEndAsync(ctx.RequestAborted);
        LastBody = body;
        if (Options.FailWith(number) is int status)
        {
            await WriteErrorAsync(ctx, status, $"fake {status}");
            return;
        }
        int tokens;
        bool stream, usage;
        try
        {
            using var request = JsonDocument.Parse(body);
            var root = request.RootElement;
            tokens = root.TryGetProperty("max_tokens", out var max) && max.ValueKind == JsonValueKind.Number ? max.GetInt32() : Options.DefaultTokens;
            stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
            usage = Options.SendUsage && root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
                && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            await WriteErrorAsync(ctx, 400, "the body is not a JSON request object: " + e.Message);
            return;
        }
        if (tokens < 1)
        {
            await WriteErrorAsync(ctx, 400, "max_tokens must be at least 1");
            return;
        }
        var firstToken = Options.FirstTokenDelay;
        if (Options.IsStraggler(number))
        {
            Interlocked.Increment(ref stragglerCount);
            firstToken = Options.StragglerDelay;
        }
        try
        {
            if (stream) await StreamAsync(ctx, chat, arrival, firstToken, tokens, usage);
            else await AnswerWholeAsync(ctx, chat, arrival, firstToken, tokens);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            Interlocked.Increment(ref cancelledCount);
        }
    }

    private async Task StreamAsync(HttpContext ctx, bool chat, long arrival, TimeSpan firstToken, int tokens, bool usage)
    {
        ctx.Response.ContentType = "text/event-stream";
        if (chat) await WriteEventAsync(ctx, """{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}""");
        var written = new long[tokens];
        for (int k = 0; k < tokens; k++)
        {
            await DelayUntilAsync(arrival, firstToken + Options.TokenInterval * k, ctx.RequestAborted);
            string finish = k == tokens - 1 ? "\"length\"" : "null";
            await WriteEventAsync(ctx, chat
                ? $$$"""{"choices":[{"index":0,"delta":{"content":" w{{{k}}}"},"finish_reason":{{{finish}}}}]}"""
                : $$$"""{"choices":[{"index":0,"text":" w{{{k}}}","finish_reason":{{{finish}}}}]}""");
            written[k] = Stopwatch.GetTimestamp();
        }
        if (Options.RecordServed) Served.Enqueue(new ServedStream(arrival, written));
        if (usage) await WriteEventAsync(ctx, $$$"""{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":{{{tokens}}},"total_tokens":{{{tokens + 7}}}}}""");
        await WriteEventAsync(ctx, "[DONE]");
    }

    private async Task AnswerWholeAsync(HttpContext ctx, bool chat, long arrival, TimeSpan firstToken, int tokens)
    {
        await DelayUntilAsync(arrival, firstToken + Options.TokenInterval * (tokens - 1), ctx.RequestAborted);
        string text = string.Concat(Enumerable.Range(0, tokens).Select(k => $" w{k}"));
        string usage = "\"usage\":" + $$$"""{"prompt_tokens":7,"completion_tokens":{{{tokens}}},"total_tokens":{{{tokens + 7}}}}""";
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(chat
            ? $$$"""{"object":"chat.completion","model":{{{JsonSerializer.Serialize(Options.Model)}}},"choices":[{"index":0,"message":{"role":"assistant","content":"{{{text}}}"},"finish_reason":"length"}],{{{usage}}}}"""
            : $$$"""{"object":"text_completion","model":{{{JsonSerializer.Serialize(Options.Model)}}},"choices":[{"index":0,"text":"{{{text}}}","finish_reason":"length"}],{{{usage}}}}""",
            ctx.RequestAborted);
    }

    private static async Task WriteErrorAsync(HttpContext ctx, int status, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        string type = status >= 500 ? "server_error" : "invalid_request_error";
        await ctx.Response.WriteAsync($$$"""{"error":{"message":{{{JsonSerializer.Serialize(message)}}},"type":"{{{type}}}"}}""", ctx.RequestAborted);
    }

    private static async Task DelayUntilAsync(long arrival, TimeSpan offset, CancellationToken cancellationToken)
    {
        var wait = offset - Stopwatch.GetElapsedTime(arrival);
        if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
    }

    private static async Task WriteEventAsync(HttpContext ctx, string data)
    {
        await ctx.Response.WriteAsync("data: " + data + "\n\n", ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
    }

    /// <summary>The truth about one streamed request: when it arrived and when each token was flushed to the socket.</summary>
    public sealed record ServedStream(long ArrivalTimestamp, long[] TokenTimestamps)
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
