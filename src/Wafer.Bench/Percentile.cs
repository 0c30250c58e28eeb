namespace Wafer.Bench;

/// <summary>Percentiles by linear interpolation between closest ranks (numpy's default, as <c>vllm bench serve</c> reports them).</summary>
internal static class Percentile
{
    /// <summary>The <paramref name="percent"/>-th percentile (0–100) of <paramref name="sorted"/>, which must be ascending and non-empty.</summary>
    public static double OfSorted(ReadOnlySpan<double> sorted, double percent)
    {
        if (sorted.IsEmpty) throw new ArgumentException("no values to take a percentile of", nameof(sorted));
        if (percent is < 0 or > 100 || double.IsNaN(percent)) throw new ArgumentOutOfRangeException(nameof(percent), percent, "must be in [0, 100]");
        double rank = percent / 100 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
