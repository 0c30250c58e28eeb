namespace Wafer.Bench;

/// <summary>The statistics of one load level: throughput, goodput, latency percentiles and errors by status.</summary>
internal sealed record RunSummary
{
    public required LevelResult Result { get; init; }

    public LoadLevel Level => Result.Level;

    public required int RequestsCompleted { get; init; }

    public required int Errors { get; init; }

    /// <summary>Failed requests by HTTP status or failure name, ordered by key.</summary>
    public required SortedDictionary<string, int> ErrorsByStatus { get; init; }

    /// <summary>Requests retried once on a fresh connection because the server had closed their kept-alive one before answering
    /// (<see cref="RequestRecord.Reconnected"/>); not errors, unless the retry failed too.</summary>
    public required int Reconnects { get; init; }

    /// <summary>Successful requests by the KV precision the server said served them (empty when it says nothing).</summary>
    public required SortedDictionary<string, int> KvPrecisions { get; init; }

    /// <summary>Completed requests per second.</summary>
    public required double RequestThroughput { get; init; }

    /// <summary>Output tokens of completed requests per second.</summary>
    public required double OutputTokenThroughput { get; init; }

    /// <summary>Prompt tokens of completed requests per second.</summary>
    public required double InputTokenThroughput { get; init; }

    /// <summary>Requests meeting every SLO per second; null when no SLO was given.</summary>
    public required double? Goodput { get; init; }

    public required LatencySummary TtftMs { get; init; }

    /// <summary>All inter-token latencies of completed requests, pooled.</summary>
    public required LatencySummary ItlMs { get; init; }

    public required LatencySummary E2eMs { get; init; }

    /// <summary>Per-request time per output token after the first.</summary>
    public required LatencySummary TpotMs { get; init; }

    public static RunSummary Compute(LevelResult result, SloOptions slo)
    {
        var ok = result.Records.Where(r => r.Success).ToList();
        var errors = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in result.Records.Where(r => !r.Success))
            errors[r.ErrorKind!] = errors.GetValueOrDefault(r.ErrorKind!) + 1;
        double seconds = Math.Max(result.DurationSeconds, 1e-9);
        return new RunSummary
        {
            Result = result,
            RequestsCompleted = ok.Count,
            Errors = result.Records.Count - ok.Count,
            ErrorsByStatus = errors,
            Reconnects = result.Records.Count(r => r.Reconnected),
            KvPrecisions = new(ok.Where(r => r.KvPrecision != null).GroupBy(r => r.KvPrecision!).ToDictionary(g => g.Key, g => g.Count()), StringComparer.Ordinal),
            RequestThroughput = ok.Count / seconds,
            OutputTokenThroughput = ok.Sum(r => (long)r.OutputTokens) / seconds,
            InputTokenThroughput = ok.Sum(r => (long)r.PromptTokens) / seconds,
            Goodput = slo.IsSet ? result.Records.Count(slo.IsMet) / seconds : null,
            TtftMs = LatencySummary.From(ok.Select(r => r.TtftMs!.Value)),
            ItlMs = LatencySummary.From(ok.SelectMany(r => r.ItlMs)),
            E2eMs = LatencySummary.From(ok.Select(r => r.E2eMs)),
            TpotMs = LatencySummary.From(ok.Where(r => r.TpotMs != null).Select(r => r.TpotMs!.Value)),
        };
    }
}
