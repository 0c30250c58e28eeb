using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Wafer.Bench.Soak;
using Wafer.Bench.Tests.Support;
using Wafer.OpenAi.Hosting;

namespace Wafer.Bench.Tests.Soak;

/// <summary>A soak against a loopback fake server that misbehaves on purpose — its resident memory climbs with every scrape, it
/// answers every 25th chat with a 500, and it accepts malformed bodies — run on a manual clock, so the number of samples is exact:
/// the run fails and names each fault.</summary>
public sealed class SoakRunnerTests : IAsyncDisposable
{
    private const double MiB = 1024 * 1024;
    private WebApplication? _app;
    private int _scrapes, _posts, _chats;

    private async Task<Uri> StartFakeAsync()
    {
        var builder = KestrelHost.CreateBuilder("127.0.0.1", 0, consoleLogging: false);
        _app = builder.Build();
        _app.MapGet("/v1/models", () => Results.Json(new { data = new[] { new { id = "fake" } } }));
        _app.MapGet("/metrics", () =>
        {
            int n = Interlocked.Increment(ref _scrapes);
            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"wafer_process_resident_memory_bytes {100 * MiB + n * 40 * MiB}");
            text.AppendLine("wafer_process_threads 20");
            text.AppendLine("wafer_kv_cache_blocks_used 0");
            text.AppendLine(CultureInfo.InvariantCulture, $"wafer_requests_total{{status=\"200\"}} {Volatile.Read(ref _posts)}");
            return Results.Text(text.ToString());
        });
        _app.MapPost("/v1/chat/completions", AnswerAsync);
        _app.MapPost("/v1/completions", AnswerAsync);
        return await KestrelHost.StartAsync(_app);
    }

    private async Task AnswerAsync(HttpContext http)
    {
        Interlocked.Increment(ref _posts);
        using var reader = new StreamReader(http.Request.Body);
        string body = await reader.ReadToEndAsync();
        bool stream = body.Contains("\"stream\":true", StringComparison.Ordinal);
        if (http.Request.Path.StartsWithSegments("/v1/chat/completions") && Interlocked.Increment(ref _chats) % 25 == 0)
        {
            http.Response.StatusCode = 500;
            await http.Response.WriteAsJsonAsync(new { error = new { message = "injected fault" } });
            return;
        }
        if (!stream)
        {
            await http.Response.WriteAsync("""{"choices":[{"index":0,"text":"hi","finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}""");
            return;
        }
        http.Response.ContentType = "text/event-stream";
        await http.Response.WriteAsync("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"text\":\"hi\",\"finish_reason\":null}]}\n\n");
        await http.Response.WriteAsync("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
        await http.Response.WriteAsync("data: [DONE]\n\n");
    }

    [Fact]
    public async Task Run_LeakingFaultyServer_FailsNamingRssTheFailedChatsAndTheAcceptedBadBodies()
    {
        var url = await StartFakeAsync();
        var clock = new ManualClock();
        var options = new SoakOptions { Url = url.ToString(), Duration = TimeSpan.FromSeconds(100), SampleInterval = TimeSpan.FromSeconds(10), Concurrency = 2, SettleTimeout = TimeSpan.FromSeconds(5) };
        using var http = BenchHttpClient.Create(2);
        using var fresh = BenchHttpClient.CreateFresh();
        var runner = new SoakRunner(options, http, fresh, clock);
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var run = runner.RunAsync(null, bound.Token);

        // Ten samples, one per interval: each advance waits for 30 more requests and for the sampler's delay to be registered,
        // then for its scrape.
        for (int k = 1; k <= 10; k++)
        {
            await Until(() => runner.Tally.Total >= 30 * k && clock.PendingTimers > 0, bound.Token);
            clock.Advance(options.SampleInterval);
            await Until(() => runner.Samples().Count == k, bound.Token);
        }
        clock.Advance(TimeSpan.FromSeconds(1)); // past the duration: the workers stop after their current request
        while (!run.IsCompleted)
        {
            if (clock.PendingTimers > 0) clock.Advance(TimeSpan.FromSeconds(1)); // the settle polls
            await Task.Delay(10, bound.Token);
        }
        var result = await run;

        Assert.Equal("fake", result.Model);
        Assert.Equal(10, result.Load.Count);
        Assert.False(result.Verdict.Passed);
        Assert.Contains(result.Verdict.Problems, p => p.StartsWith("RSS grew", StringComparison.Ordinal));
        Assert.Contains(result.Verdict.Problems, p => p.Contains("failed as status_500: injected fault", StringComparison.Ordinal));
        Assert.Contains(result.Verdict.Problems, p => p.Contains("failed as bad_request_accepted", StringComparison.Ordinal));
        Assert.True(result.Tally.Count(SoakResults.Cancelled) > 0, "some streams should have been abandoned");
        // Every answered request was counted by the fake's wafer_requests_total: no count problem.
        Assert.DoesNotContain(result.Verdict.Problems, p => p.StartsWith("the server counted", StringComparison.Ordinal));

        using var json = new MemoryStream();
        SoakResultJson.Write(json, options, result);
        var root = JsonDocument.Parse(json.ToArray()).RootElement;
        Assert.False(root.GetProperty("passed").GetBoolean());
        Assert.Equal(result.Tally.Total, root.GetProperty("requests").GetProperty("total").GetInt64());
        Assert.Equal(12, root.GetProperty("samples").GetArrayLength()); // idle before, ten under load, idle after
        Assert.Contains(root.GetProperty("metrics").EnumerateArray(), m => m.GetProperty("name").GetString() == "RSS" && m.GetProperty("problem").GetString() != null);
    }

    private static async Task Until(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition()) await Task.Delay(5, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app != null) await _app.DisposeAsync();
    }
}
