namespace Wafer.Bench;

/// <summary>Mean, p50, p90, p99 and max of a set of latencies in milliseconds; <see cref="Count"/> is 0 when there were none.</summary>
internal sealed record LatencySummary(int Count, double Mean, double P50, double P90, double P99, double Max)
{
    public static readonly LatencySummary Empty = new(0, 0, 0, 0, 0, 0);

    public static LatencySummary From(IEnumerable<double> values)
    {
        double[] sorted = [.. values];
        if (sorted.Length == 0) return Empty;
        Array.Sort(sorted);
        return new LatencySummary(sorted.Length, sorted.Average(),
            Percentile.OfSorted(sorted, 50), Percentile.OfSorted(sorted, 90), Percentile.OfSorted(sorted, 99), sorted[^1]);
    }
}
