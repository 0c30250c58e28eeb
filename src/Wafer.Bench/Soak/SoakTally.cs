namespace Wafer.Bench.Soak;

/// <summary>The outcomes of a soak's requests, counted as they end (thread-safe).</summary>
internal sealed class SoakTally
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(SoakRequestKind Kind, string Result), long> _counts = [];
    private readonly Dictionary<string, string> _firstMessage = [];

    public long Total { get; private set; }
    public long Failures { get; private set; }
    public long ReachedServer { get; private set; }
    public long Reconnects { get; private set; }

    public void Record(SoakOutcome outcome)
    {
        lock (_gate)
        {
            Total++;
            if (outcome.Failed) Failures++;
            if (outcome.ReachedServer) ReachedServer++;
            if (outcome.Reconnected) Reconnects++;
            var key = (outcome.Kind, outcome.Result);
            _counts[key] = _counts.GetValueOrDefault(key) + 1;
            if (outcome.Failed && outcome.Message != null) _firstMessage.TryAdd(outcome.Result, outcome.Message);
        }
    }

    /// <summary>Requests by kind and result, in kind order.</summary>
    public IReadOnlyList<(SoakRequestKind Kind, string Result, long Count)> Counts()
    {
        lock (_gate) return [.. _counts.OrderBy(c => c.Key.Kind).ThenBy(c => c.Key.Result, StringComparer.Ordinal).Select(c => (c.Key.Kind, c.Key.Result, c.Value))];
    }

    /// <summary>Failures by result (their kind), with the first message each had.</summary>
    public IReadOnlyList<(string Result, long Count, string? Example)> FailuresByResult()
    {
        lock (_gate)
            return [.. _counts.Where(c => !SoakResults.IsSuccess(c.Key.Result)).GroupBy(c => c.Key.Result)
                .Select(g => (g.Key, g.Sum(c => c.Value), _firstMessage.GetValueOrDefault(g.Key))).OrderByDescending(f => f.Item2)];
    }

    public long Count(string result)
    {
        lock (_gate) return _counts.Where(c => c.Key.Result == result).Sum(c => c.Value);
    }
}
