using System.Net;
using System.Text;
using System.Text.Json;

namespace Wafer.Server.Tests;

/// <summary>Bounded load tests against real <c>wafer serve</c> processes.</summary>
public class LoadTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private static HttpRequestMessage Chat(int maxTokens, bool stream, int seed, string user = "Once upon a time") => new(HttpMethod.Post, "v1/chat/completions")
    {
        Content = new StringContent(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["messages"] = new[] { new { role = "user", content = user } },
            ["max_tokens"] = maxTokens,
            ["temperature"] = 1.0,
            ["seed"] = seed,
            ["stream"] = stream,
            ["stream_options"] = stream ? new { include_usage = true } : null!,
        }.Where(kv => kv.Value != null).ToDictionary()), Encoding.UTF8, "application/json"),
    };

    [Fact]
    public async Task Streaming_64Concurrent_AllCompleteWithCorrectUsage()
    {
        await using var server = await WaferServerProcess.ServeAsync("--max-seqs", "16", "--max-queue", "64");
        var random = new Random(1);
        var limits = Enumerable.Range(0, 64).Select(_ => random.Next(8, 48)).ToArray();

        var results = await Task.WhenAll(limits.Select(async (max, i) =>
        {
            using var response = await server.Http.SendAsync(Chat(max, stream: true, seed: i), HttpCompletionOption.ResponseHeadersRead);
            var (events, done) = await Sse.ReadAllAsync(response);
            return (Status: (int)response.StatusCode, Max: max, Events: events, Done: done);
        })).WaitAsync(Bound);

        int promptTokens = -1;
        foreach (var r in results)
        {
            Assert.Equal(200, r.Status);
            Assert.True(r.Done);
            var usage = r.Events[^1].GetProperty("usage");
            string finish = r.Events[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString()!;
            int completion = usage.GetProperty("completion_tokens").GetInt32();
            if (finish == "length") Assert.Equal(r.Max, completion);
            else Assert.InRange(completion, 1, r.Max);
            if (promptTokens < 0) promptTokens = usage.GetProperty("prompt_tokens").GetInt32();
            Assert.Equal(promptTokens, usage.GetProperty("prompt_tokens").GetInt32());
        }
        // Counted per model: the same label set with status 200 holds every request, so the 500 query cannot miss by its labels.
        // (recorded after each response ends, so a client may read its [DONE] first: polled, bounded)
        const string ok = "wafer_requests_total{otel_scope_name=\"Wafer.Server\",model=\"stories260K\",status=\"200\"}";
        for (int i = 0; i < 100 && await server.MetricAsync(ok) < results.Length; i++) await Task.Delay(100);
        Assert.Equal(results.Length, await server.MetricAsync(ok));
        Assert.Equal(0, await server.MetricAsync("wafer_requests_total{otel_scope_name=\"Wafer.Server\",model=\"stories260K\",status=\"500\"}"));
    }

    [Fact]
    public async Task Burst_MaxQueue8_Gets429WithRetryAfter_AndAdmittedComplete()
    {
        await using var server = await WaferServerProcess.ServeAsync("--max-seqs", "4", "--max-queue", "8");

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
        {
            using var response = await server.Http.SendAsync(Chat(120, stream: false, seed: i));
            string body = await response.Content.ReadAsStringAsync();
            return (Status: (int)response.StatusCode, RetryAfter: response.Headers.RetryAfter?.Delta, Body: body);
        })).WaitAsync(Bound);

        var rejected = results.Where(r => r.Status == 429).ToList();
        var admitted = results.Where(r => r.Status == 200).ToList();
        Assert.NotEmpty(rejected);
        Assert.True(admitted.Count >= 12, $"{admitted.Count} admitted");
        Assert.Equal(100, rejected.Count + admitted.Count);
        Assert.All(rejected, r => AssertRetryAfterFollowsTheBacklog(r.RetryAfter, r.Body));
        Assert.All(rejected, r => Assert.Contains("overloaded", r.Body));
        Assert.All(admitted, r => Assert.Contains("\"finish_reason\"", r.Body));
    }

    /// <summary>The header is what AdmissionController's estimate gives for the backlog its message states: 9 ahead
    /// (12 admitted − 4 running + 1), 4 at a time, at the stated recent mean (printed to 1 ms, hence the two candidates).</summary>
    private static void AssertRetryAfterFollowsTheBacklog(TimeSpan? header, string body)
    {
        Assert.NotNull(header);
        using var doc = JsonDocument.Parse(body);
        string message = doc.RootElement.GetProperty("error").GetProperty("message").GetString()!;
        var m = System.Text.RegularExpressions.Regex.Match(message, @"retry after (\d+) s \((\d+) request\(s\) ahead, served (\d+) at a time, recent mean ([\d.]+) s per request\)");
        Assert.True(m.Success, message);
        int stated = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        int ahead = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        int served = int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        double mean = double.Parse(m.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal((9, 4), (ahead, served));
        Assert.Equal(stated, (int)header.Value.TotalSeconds);
        double rounds = Math.Ceiling((double)ahead / served);
        int Estimate(double meanSeconds) => (int)Math.Clamp(Math.Ceiling(meanSeconds * rounds), 1, 300);
        Assert.Contains(stated, new[] { Estimate(mean - 0.0005), Estimate(mean + 0.0005) });
    }

    [Fact]
    public async Task Disconnect_200ClientsMidStream_FreeEverything()
    {
        await using var server = await WaferServerProcess.ServeAsync("--max-seqs", "16", "--max-queue", "256");

        await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            using var cts = new CancellationTokenSource();
            using var client = new HttpClient { BaseAddress = server.Url };
            using var response = await client.SendAsync(Chat(400, stream: true, seed: i), HttpCompletionOption.ResponseHeadersRead, cts.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
            await reader.ReadLineAsync(cts.Token); // the role chunk: the request is in
            cts.Cancel();
        })).WaitAsync(Bound);

        double running = -1, used = -1;
        for (int i = 0; i < 100; i++)
        {
            running = await server.MetricAsync("wafer_requests_running");
            used = await server.MetricAsync("wafer_kv_cache_blocks_used");
            double waiting = await server.MetricAsync("wafer_requests_waiting");
            if (running == 0 && used == 0 && waiting == 0) break;
            await Task.Delay(100);
        }
        Assert.Equal(0, running);
        Assert.Equal(0, used);
        using var after = await server.Http.SendAsync(Chat(4, stream: false, seed: 1));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Sigterm_InFlightStreamFinishes_Exit0()
    {
        var server = await WaferServerProcess.ServeAsync("--drain-timeout", "30");
        try
        {
            using var response = await server.Http.SendAsync(Chat(300, stream: true, seed: 3), HttpCompletionOption.ResponseHeadersRead);
            var reading = Sse.ReadAllAsync(response);
            await Task.Delay(50);
            var exit = server.TerminateAsync(TimeSpan.FromSeconds(60));
            var (events, done) = await reading.WaitAsync(Bound);
            Assert.True(done, "the in-flight stream should end with [DONE]");
            Assert.True(events[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0);
            Assert.Equal(0, await exit);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
