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
using Microsoft.Extensions.Logging;

namespace Wafer.Cli.Tests.Benchmarking;

/// <summary>An OpenAI-compatible streaming server on 127.0.0.1 (free port) that emits tokens on a known schedule: the truth the benchmark's measurements are checked against.</summary>
/// <remarks>Token k of a request is written at arrival + <see cref="FirstTokenDelay"/> + k × <see cref="TokenInterval"/> (absolute deadlines, so timer overshoot does not accumulate).</remarks>
internal sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private int requestCount;

    private FakeOpenAiServer(WebApplication app) => this.app = app;

    public TimeSpan FirstTokenDelay { get; init; }

    public TimeSpan TokenInterval { get; init; }

    /// <summary>Whether the last chunk carries <c>usage</c> (only when the client asked for it).</summary>
    public bool SendUsage { get; init; } = true;

    /// <summary>Maps the 0-based arrival number of a request to an error status to answer with, or null to stream.</summary>
    public Func<int, int?> FailWith { get; init; } = _ => null;

    public string Url { get; private set; } = "";

    public int RequestCount => Volatile.Read(ref requestCount);

    /// <summary>What the server actually did, per streamed request: the truth the client's measurements are compared with.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<ServedStream> Served { get; } = new();

    /// <summary>The body of the most recent request.</summary>
    public string? LastBody { get; private set; }

    public static async Task<FakeOpenAiServer> StartAsync(TimeSpan firstTokenDelay, TimeSpan tokenInterval, bool sendUsage = true, Func<int, int?>? failWith = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeOpenAiServer(app) { FirstTokenDelay = firstTokenDelay, TokenInterval = tokenInterval, SendUsage = sendUsage, FailWith = failWith ?? (_ => null) };
        app.MapPost("/v1/chat/completions", ctx => server.HandleAsync(ctx, chat: true));
        app.MapPost("/v1/completions", ctx => server.HandleAsync(ctx, chat: false));
        using var start = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await app.StartAsync(start.Token);
        server.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return server;
    }

    private async Task HandleAsync(HttpContext ctx, bool chat)
    {
        long arrival = Stopwatch.GetTimestamp();
        int number = Interlocked.Increment(ref requestCount) - 1;
        using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
        string body = await reader.ReadToEndAsync(ctx.RequestAborted);
        LastBody = body;
        if (FailWith(number) is int status)
        {
            ctx.Response.StatusCode = status;
            await ctx.Response.WriteAsync($"{{\"error\":{{\"message\":\"fake {status}\"}}}}", ctx.RequestAborted);
            return;
        }
        using var request = JsonDocument.Parse(body);
        int tokens = request.RootElement.GetProperty("max_tokens").GetInt32();
        bool usage = SendUsage && request.RootElement.TryGetProperty("stream_options", out var so) && so.GetProperty("include_usage").GetBoolean();
        ctx.Response.ContentType = "text/event-stream";
        if (chat) await WriteEventAsync(ctx, """{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}""");
        var written = new long[tokens];
        for (int k = 0; k < tokens; k++)
        {
            await DelayUntilAsync(arrival, FirstTokenDelay + TokenInterval * k, ctx.RequestAborted);
            await WriteEventAsync(ctx, chat
                ? $$$"""{"choices":[{"index":0,"delta":{"content":" w{{{k}}}"}}]}"""
                : $$$"""{"choices":[{"index":0,"text":" w{{{k}}}"}]}""");
            written[k] = Stopwatch.GetTimestamp();
        }
        Served.Enqueue(new ServedStream(arrival, written));
        if (usage) await WriteEventAsync(ctx, $$$"""{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":{{{tokens}}}}}""");
        await WriteEventAsync(ctx, "[DONE]");
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
