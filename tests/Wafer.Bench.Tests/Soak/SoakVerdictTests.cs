using Wafer.Bench.Soak;

namespace Wafer.Bench.Tests.Soak;

/// <summary>The soak verdict over made-up series: a flat or noisy run passes; a leak, a lost or uncounted request, KV blocks
/// not returned, or too few samples fail it, each with a problem that names it.</summary>
public sealed class SoakVerdictTests
{
    private const double MiB = 1024 * 1024;

    private static ServerSample Sample(double seconds, double rss, double kv = 0, double requests = 0, double threads = 20) => new(seconds, new Dictionary<string, double>
    {
        ["wafer_process_resident_memory_bytes"] = rss,
        ["wafer_process_gc_heap_bytes"] = 8 * MiB,
        ["wafer_process_threads"] = threads,
        ["wafer_process_open_sockets"] = 7,
        ["wafer_process_open_fds"] = 230,
        ["wafer_kv_cache_blocks_used"] = kv,
        ["wafer_requests_total"] = requests,
        ["wafer_requests_running"] = 0,
        ["wafer_requests_waiting"] = 0,
    });

    private static SoakTally Tally(int ok, params SoakOutcome[] others)
    {
        var tally = new SoakTally();
        for (int i = 0; i < ok; i++) tally.Record(new(SoakRequestKind.Chat, SoakResults.Ok, 200, null, true));
        foreach (var o in others) tally.Record(o);
        return tally;
    }

    private static List<ServerSample> Series(int count, Func<int, double> rss, Func<int, double>? threads = null) =>
        [.. Enumerable.Range(1, count).Select(i => Sample(i * 10, rss(i), kv: 40, threads: threads?.Invoke(i) ?? 20))];

    [Fact]
    public void Evaluate_FlatNoisyRunEverythingCounted_Passes()
    {
        var load = Series(30, i => 150 * MiB + (i % 3) * 4 * MiB);
        var verdict = SoakVerdict.Evaluate(Tally(100), load, Sample(0, 90 * MiB), Sample(310, 152 * MiB, requests: 100), 0.2);
        Assert.True(verdict.Passed, string.Join("; ", verdict.Problems));
        var rss = verdict.Metrics.Single(m => m.Metric.Name == "RSS");
        Assert.Equal(150 * MiB, rss.Min);
        Assert.Null(rss.Problem);
    }

    [Fact]
    public void Evaluate_RssGrowsAllRun_FailsNamingRss()
    {
        var load = Series(30, i => 150 * MiB + i * 10 * MiB); // +300 MiB over the run
        var verdict = SoakVerdict.Evaluate(Tally(100), load, Sample(0, 90 * MiB), Sample(310, 450 * MiB, requests: 100), 0.2);
        Assert.False(verdict.Passed);
        Assert.Contains(verdict.Problems, p => p.StartsWith("RSS grew", StringComparison.Ordinal));
        Assert.DoesNotContain(verdict.Problems, p => p.StartsWith("threads", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_GrowthOnlyDuringWarmup_Passes()
    {
        // Caches and JIT fill in the first fifth, then the level holds.
        var load = Series(30, i => i <= 6 ? 100 * MiB + i * 30 * MiB : 280 * MiB);
        var verdict = SoakVerdict.Evaluate(Tally(100), load, Sample(0, 90 * MiB), Sample(310, 280 * MiB, requests: 100), 0.2);
        Assert.True(verdict.Passed, string.Join("; ", verdict.Problems));
    }

    [Fact]
    public void Evaluate_ThreadsLeak_FailsNamingThreads()
    {
        var load = Series(30, _ => 150 * MiB, threads: i => 20 + i * 4);
        var verdict = SoakVerdict.Evaluate(Tally(100), load, Sample(0, 90 * MiB), Sample(310, 150 * MiB, requests: 100, threads: 80), 0.2);
        Assert.Contains(verdict.Problems, p => p.StartsWith("threads grew", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_KvBlocksNotReturnedAtIdle_Fails()
    {
        var verdict = SoakVerdict.Evaluate(Tally(100), Series(30, _ => 150 * MiB), Sample(0, 90 * MiB), Sample(310, 150 * MiB, kv: 3, requests: 100), 0.2);
        Assert.Contains(verdict.Problems, p => p.StartsWith("KV blocks used: 3 after the run against 0", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_FailedRequests_ListedByKindWithAnExample()
    {
        var tally = Tally(98, new(SoakRequestKind.ChatStream, "timeout", 200, "no complete answer within 120 s", true),
            new(SoakRequestKind.Bad, "bad_request_accepted", 200, "{}", true));
        var verdict = SoakVerdict.Evaluate(tally, Series(30, _ => 150 * MiB), Sample(0, 90 * MiB), Sample(310, 150 * MiB, requests: 100), 0.2);
        Assert.False(verdict.Passed);
        Assert.Contains("1 request(s) failed as timeout: no complete answer within 120 s", verdict.Problems);
        Assert.Contains("1 request(s) failed as bad_request_accepted: {}", verdict.Problems);
    }

    [Theory]
    [InlineData(97, "the server counted 97 request(s)")]
    [InlineData(103, "the server counted 103 request(s)")]
    public void Evaluate_ServerCountDiffersFromAnswered_Fails(double counted, string expected)
    {
        var verdict = SoakVerdict.Evaluate(Tally(100), Series(30, _ => 150 * MiB), Sample(0, 90 * MiB), Sample(310, 150 * MiB, requests: counted), 0.2);
        Assert.Contains(verdict.Problems, p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_CounterAbsentBeforeTheRun_CountsFromZero()
    {
        var idleStart = new ServerSample(0, Sample(0, 90 * MiB).Values.Where(v => v.Key != "wafer_requests_total").ToDictionary());
        var verdict = SoakVerdict.Evaluate(Tally(100), Series(30, _ => 150 * MiB), idleStart, Sample(310, 150 * MiB, requests: 100), 0.2);
        Assert.True(verdict.Passed, string.Join("; ", verdict.Problems));
    }

    [Fact]
    public void Evaluate_TooFewSamples_FailsSayingHowToFixIt()
    {
        var verdict = SoakVerdict.Evaluate(Tally(100), Series(4, _ => 150 * MiB), Sample(0, 90 * MiB), Sample(50, 150 * MiB, requests: 100), 0.2);
        Assert.Contains(verdict.Problems, p => p.Contains("too few to tell growth from noise", StringComparison.Ordinal) && p.Contains("--sample-interval", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_ServerExportsNoWatchedSeries_Fails()
    {
        var none = new Dictionary<string, double>();
        var load = Enumerable.Range(1, 30).Select(i => new ServerSample(i * 10, none)).ToList();
        var verdict = SoakVerdict.Evaluate(Tally(100), load, new ServerSample(0, none), new ServerSample(310, none), 0.2);
        Assert.Contains(verdict.Problems, p => p.StartsWith("the server's /metrics has none of the watched series", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_FailedScrapes_Reported()
    {
        var load = Series(30, _ => 150 * MiB);
        load[10] = new ServerSample(110, new Dictionary<string, double>(), "Connection refused");
        var verdict = SoakVerdict.Evaluate(Tally(100), load, Sample(0, 90 * MiB), Sample(310, 150 * MiB, requests: 100), 0.2);
        Assert.Contains("1 of 30 reads of /metrics failed: Connection refused", verdict.Problems);
    }
}
