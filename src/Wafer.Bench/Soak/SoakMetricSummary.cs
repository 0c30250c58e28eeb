namespace Wafer.Bench.Soak;

/// <summary>One watched series over a soak: at idle before and after, its range under load, the medians of the early and late
/// thirds after the warm-up, and the problem it shows, if any.</summary>
internal sealed record SoakMetricSummary(SoakMetric Metric, double? IdleStart, double? IdleEnd, double? Min, double? Max,
    double? EarlyMedian, double? LateMedian, double? Limit, string? Problem)
{
    public bool Exported => Max != null || IdleEnd != null;

    public static SoakMetricSummary Of(SoakMetric metric, IReadOnlyList<ServerSample> load, IReadOnlyList<ServerSample> judged, ServerSample idleStart, ServerSample idleEnd)
    {
        var all = load.Select(s => s[metric.Series]).OfType<double>().ToList();
        var series = judged.Select(s => s[metric.Series]).OfType<double>().ToList();
        double? start = idleStart[metric.Series], end = idleEnd[metric.Series];
        double? min = all.Count > 0 ? all.Min() : null, max = all.Count > 0 ? all.Max() : null;
        if (!metric.JudgedForGrowth)
        {
            // Judged at idle: every block a request held is back once no request runs.
            string? idleProblem = start is double s && end is double e && e > s
                ? $"{metric.Name}: {metric.Format(e)} after the run against {metric.Format(s)} before it (held by no request: a leak)"
                : null;
            return new(metric, start, end, min, max, null, null, start, idleProblem);
        }
        if (series.Count < SoakVerdict.MinimumSamples) return new(metric, start, end, min, max, null, null, null, null);
        int third = series.Count / 3;
        double early = Median(series.Take(third)), late = Median(series.Skip(series.Count - third));
        double limit = early * (1 + metric.RelativeAllowance) + metric.AbsoluteAllowance;
        string? problem = late > limit
            ? $"{metric.Name} grew: median {metric.Format(late)} in the last third of the run against {metric.Format(early)} in the first (limit {metric.Format(limit)})"
            : null;
        return new(metric, start, end, min, max, early, late, limit, problem);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
