using System.Diagnostics;
using Wafer.Bench;
using Wafer.Bench.Tests.Support;

namespace Wafer.Bench.Tests;

/// <summary>Whether the load generator measures what the server did: exactly, on a manual clock (always), and within 5 % of a
/// real fake server's own timestamps (behind <see cref="BenchSwitch"/>: that is a property of this machine's timers too).</summary>
[Collection(TimingCollection.Name)]
public class MeasurementAccuracyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan FirstToken = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);
    private const int OutputTokens = 21;
    private const double Tolerance = 0.05;

    [Fact]
    public async Task RunLevel_StreamOnManualClock_TtftItlThroughputExact()
    {
        const int requestCount = 6;
        var clock = new ManualClock();
        using var http = new HttpClient(new ScheduledStreamHandler(clock, FirstToken, Interval, OutputTokens));
        var options = BenchTestKit.Options("http://fake.invalid", LoadLevel.ClosedLoop(1), requestCount, OutputTokens);
        var sender = new OpenAiStreamingSender(http, BenchHttpClient.BaseAddress(options.Url), options.Model, null, options.Endpoint,
            clock, options.RequestTimeout, ignoreEos: false);

        var run = await new BenchServeRunner(options, sender, clock).RunLevelAsync(0, null, TestContext.Current.CancellationToken);

        var perRequest = FirstToken + Interval * (OutputTokens - 1);
        Assert.Equal(requestCount, run.RequestsCompleted);
        Assert.All(run.Result.Records, r =>
        {
            Assert.Equal(FirstToken.TotalMilliseconds, r.TtftMs!.Value, 9);
            Assert.All(r.ItlMs, itl => Assert.Equal(Interval.TotalMilliseconds, itl, 9));
            Assert.Equal(perRequest.TotalMilliseconds, r.E2eMs, 9);
            Assert.Equal(OutputTokens, r.OutputTokens);
            Assert.True(r.UsageReported);
        });
        Assert.Equal(FirstToken.TotalMilliseconds, run.TtftMs.Mean, 9);
        Assert.Equal(Interval.TotalMilliseconds, run.ItlMs.P99, 9);
        Assert.Equal(OutputTokens / perRequest.TotalSeconds, run.OutputTokenThroughput, 6);
    }

    [Theory]
    [InlineData(1, 6)]
    [InlineData(32, 96)]
    public async Task RunLevel_ScheduledServer_TtftItlThroughputWithinFivePercent(int concurrency, int requestCount)
    {
        BenchSwitch.Require("how closely a client can time a real server with its timers and scheduler");
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions { FirstTokenDelay = FirstToken, TokenInterval = Interval, RecordServed = true });
        using var http = BenchHttpClient.Create(concurrency);
        var options = BenchTestKit.Options(server.Url, LoadLevel.ClosedLoop(concurrency), requestCount, OutputTokens);
        await BenchTestKit.RunAsync(options, http); // warm-up: JIT and connections
        await BenchTestKit.WaitForHandlersAsync(server, requestCount);
        server.Served.Clear();

        var run = await BenchTestKit.RunAsync(options, http);
        await BenchTestKit.WaitForHandlersAsync(server, 2 * requestCount);

        // The truth is what the server did (its timers run late on a busy machine), read from its own clock.
        var served = server.Served.ToArray();
        double ttftTruth = served.Average(s => s.TtftMs);
        double itlTruth = served.SelectMany(s => s.ItlMs).Average();
        double throughputTruth = served.Length * OutputTokens / Stopwatch.GetElapsedTime(served.Min(s => s.ArrivalTimestamp), served.Max(s => s.TokenTimestamps[^1])).TotalSeconds;
        output.WriteLine($"c={concurrency}: measured TTFT mean {run.TtftMs.Mean:0.00} ms (server {ttftTruth:0.00}, schedule {FirstToken.TotalMilliseconds}), " +
            $"ITL mean {run.ItlMs.Mean:0.000} ms (server {itlTruth:0.000}, schedule {Interval.TotalMilliseconds}), p50 {run.ItlMs.P50:0.000}, p99 {run.ItlMs.P99:0.000}; " +
            $"{run.OutputTokenThroughput:0.0} tok/s (server {throughputTruth:0.0}, schedule {concurrency * OutputTokens / (FirstToken + Interval * (OutputTokens - 1)).TotalSeconds:0.0}); {run.RequestThroughput:0.00} req/s");
        Assert.Equal(requestCount, run.RequestsCompleted);
        Assert.Equal(requestCount, served.Length);
        AssertClose(itlTruth, run.ItlMs.Mean, "mean ITL");
        AssertClose(throughputTruth, run.OutputTokenThroughput, "output token throughput");
        Assert.All(run.Result.Records, r => Assert.Equal(OutputTokens, r.OutputTokens));
        AssertClose(ttftTruth, run.TtftMs.Mean, "mean TTFT");
    }

    private static void AssertClose(double truth, double measured, string what) =>
        Assert.True(Math.Abs(measured / truth - 1) <= Tolerance, $"{what}: measured {measured:0.###}, truth {truth:0.###} (±{Tolerance:P0})");
}
