namespace Wafer.Bench.Charts;

/// <summary>The report's charts from benchmark series: TTFT, ITL and throughput per load level, and throughput against latency.</summary>
internal static class BenchCharts
{
    public static IReadOnlyList<ChartModel> Build(IReadOnlyList<BenchSeries> series)
    {
        var rows = series.SelectMany(s => s.Rows).ToList();
        string modes = string.Join(",", rows.Select(r => r.Mode).Distinct().Order());
        string load = modes switch { "concurrency" => "concurrency", "rate" => "request rate (req/s)", _ => "load (concurrency or req/s)" };
        var levels = rows.Select(r => r.LevelValue).Where(v => v > 0).DefaultIfEmpty(1).ToList();
        bool logX = levels.Max() / levels.Min() >= 8;
        return
        [
            new ChartModel("Time to first token, p50 and p99", load, "TTFT (ms)", logX,
                Percentiles(series, r => r.TtftMs)),
            new ChartModel("Inter-token latency, p50 and p99", load, "ITL (ms)", logX,
                Percentiles(series, r => r.ItlMs)),
            new ChartModel("Output token throughput", load, "tokens/s", logX,
                [.. series.Select((s, i) => Line(s.Label, i, false, s.Rows, r => (r.LevelValue, r.OutputTokenThroughput)))]),
            new ChartModel("Throughput vs latency", "output tokens/s", "ITL p50 (ms)", LogX: false,
                [.. series.Select((s, i) => Line(s.Label, i, false, s.Rows.Where(r => r.ItlMs.Count > 0), r => (r.OutputTokenThroughput, r.ItlMs.P50)))]),
        ];
    }

    private static ChartSeries[] Percentiles(IReadOnlyList<BenchSeries> series, Func<BenchRunRow, LatencySummary> pick) =>
    [
        .. series.SelectMany((s, i) => new[]
        {
            Line($"{s.Label} p50", i, false, s.Rows.Where(r => pick(r).Count > 0), r => (r.LevelValue, pick(r).P50)),
            Line($"{s.Label} p99", i, true, s.Rows.Where(r => pick(r).Count > 0), r => (r.LevelValue, pick(r).P99)),
        }),
    ];

    private static ChartSeries Line(string name, int colorIndex, bool dashed, IEnumerable<BenchRunRow> rows, Func<BenchRunRow, (double, double)> point) =>
        new(name, colorIndex, dashed, [.. rows.Select(point).OrderBy(p => p.Item1)]);
}
