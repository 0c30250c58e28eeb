namespace Wafer.Bench.Soak;

/// <summary>One reading of the server's <c>/metrics</c>: seconds since the run started and each series' value (a series the
/// server does not export is absent). <paramref name="Error"/> says why a scrape failed.</summary>
internal sealed record ServerSample(double Seconds, IReadOnlyDictionary<string, double> Values, string? Error = null)
{
    public double? this[string series] => Values.TryGetValue(series, out double v) ? v : null;

    /// <summary>Requests the server counted (<c>wafer_requests_total</c>) since <paramref name="before"/>, or null when it does not
    /// export the counter. A counter appears with its first increment: absent before is zero on a server that has it now.</summary>
    public long? CountedSince(ServerSample before) =>
        this[SoakMetric.RequestsTotal] is double now ? (long)Math.Round(now - (before[SoakMetric.RequestsTotal] ?? 0)) : null;

    /// <summary>The series a soak reads from Prometheus text.</summary>
    public static ServerSample Parse(double seconds, string text)
    {
        var values = new Dictionary<string, double>();
        foreach (string series in SoakMetric.Watched.Select(m => m.Series).Append(SoakMetric.RequestsTotal).Append(SoakMetric.Running).Append(SoakMetric.Waiting))
            if (PrometheusText.Sum(text, series) is double v) values[series] = v;
        return new ServerSample(seconds, values);
    }
}
