using System.Diagnostics;
using Wafer.Cli.Benchmarking;

namespace Wafer.Cli.Tests.Benchmarking;

[Collection(TimingCollection.Name)]
public class MeasurementAccuracyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan FirstToken = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);
    private const int OutputTokens = 21;
    private const double Tolerance = 0.05;

    [Theory]
    [InlineData(1, 6)]
    [InlineData(32, 96)]
    public async Task RunLevel_ScheduledServer_TtftItlThroughputWithinFivePercent(int concurrency, int requestCount)
    {
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions { FirstTokenDelay = FirstToken, TokenInterval = Interval, RecordServed = true });
        using var http = BenchHttpClient.Create(concurrency);
        var options = BenchTestKit.Options(server.Url, LoadLevel.ClosedLoop(concurrency), requestCount, OutputTokens);
        await BenchTestKit.RunAsync(options, http); // warm-up: JIT and connections
        server.Served.Clear();

        var run = await BenchTestKit.RunAsync(options, http);

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
        // After 50 idle ms both sides' threads sleep; on an oversubscribed CPU waking them costs several ms, more than
        // the 2.5 ms a 5 % TTFT bound allows, for any client. ITL and throughput (above) do not depend on it.
        double loadPerCore = LoadPerCore();
        output.WriteLine($"load average per core: {loadPerCore:0.00}");
        if (loadPerCore <= 1) AssertClose(ttftTruth, run.TtftMs.Mean, "mean TTFT");
        else Assert.True(run.TtftMs.Mean >= ttftTruth, $"measured TTFT {run.TtftMs.Mean:0.00} ms cannot be below the server's {ttftTruth:0.00} ms");
    }

    /// <summary>The 1-minute load average per core (Linux), or 0 where it is unknown.</summary>
    private static double LoadPerCore() => File.Exists("/proc/loadavg")
        ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / Environment.ProcessorCount
        : 0;

    private static void AssertClose(double truth, double measured, string what) =>
        Assert.True(Math.Abs(measured / truth - 1) <= Tolerance, $"{what}: measured {measured:0.###}, truth {truth:0.###} (±{Tolerance:P0})");
}
