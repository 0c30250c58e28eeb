namespace Wafer.Bench.Soak;

/// <summary>Whether a soak passed: no request lost or failed, every request the client got an answer to counted by the server,
/// the server back to idle (KV blocks returned), and no watched series growing from the early to the late part of the run.</summary>
/// <remarks>A pure function of the counts and samples, so tests drive it with made-up series.</remarks>
internal sealed record SoakVerdict(bool Passed, IReadOnlyList<string> Problems, IReadOnlyList<SoakMetricSummary> Metrics)
{
    /// <summary>Fewer samples after the warm-up than this and growth cannot be told from noise.</summary>
    public const int MinimumSamples = 6;

    public static SoakVerdict Evaluate(SoakTally tally, IReadOnlyList<ServerSample> load, ServerSample idleStart, ServerSample idleEnd, double warmupShare)
    {
        var problems = new List<string>();
        foreach (var (result, count, example) in tally.FailuresByResult())
            problems.Add($"{count} request(s) failed as {result}" + (example != null ? $": {example}" : ""));
        if (tally.Total == 0) problems.Add("no request was sent");
        CheckCounted(tally, idleStart, idleEnd, problems);
        if (idleEnd.Error != null) problems.Add($"the server's /metrics could not be read after the run: {idleEnd.Error}");
        if (idleEnd[SoakMetric.Running] is > 0 || idleEnd[SoakMetric.Waiting] is > 0)
            problems.Add($"the server did not return to idle: {idleEnd[SoakMetric.Running]} request(s) running, {idleEnd[SoakMetric.Waiting]} waiting after the last answer");

        double end = load.Count > 0 ? load[^1].Seconds : 0;
        var judged = load.Where(s => s.Error == null && s.Seconds >= warmupShare * end).ToList();
        var summaries = new List<SoakMetricSummary>();
        foreach (var metric in SoakMetric.Watched)
        {
            var summary = SoakMetricSummary.Of(metric, load, judged, idleStart, idleEnd);
            summaries.Add(summary);
            if (summary.Problem != null) problems.Add(summary.Problem);
        }
        if (!summaries.Any(m => m.Exported))
            problems.Add($"the server's /metrics has none of the watched series ({string.Join(", ", SoakMetric.Watched.Select(m => m.Series))}), so growth cannot be judged; wafer serve and wafer route export them");
        else if (judged.Count < MinimumSamples)
            problems.Add($"only {judged.Count} sample(s) after the warm-up, too few to tell growth from noise (at least {MinimumSamples}); lengthen --duration or shorten --sample-interval");
        int failedScrapes = load.Count(s => s.Error != null);
        if (failedScrapes > 0) problems.Add($"{failedScrapes} of {load.Count} reads of /metrics failed: {load.First(s => s.Error != null).Error}");
        return new SoakVerdict(problems.Count == 0, problems, summaries);
    }

    // Every request that reached the server (a status line came back) must show in its wafer_requests_total.
    private static void CheckCounted(SoakTally tally, ServerSample idleStart, ServerSample idleEnd, List<string> problems)
    {
        if (idleEnd.CountedSince(idleStart) is not long counted) return;
        if (counted != tally.ReachedServer)
            problems.Add($"the server counted {counted} request(s) in {SoakMetric.RequestsTotal}, the client had answers to {tally.ReachedServer}"
                + (counted < tally.ReachedServer ? " (requests missing from the server's count)" : " (more than sent: another client, or requests the client never saw answered)"));
    }
}
