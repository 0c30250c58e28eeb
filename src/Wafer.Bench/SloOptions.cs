namespace Wafer.Bench;

/// <summary>Service-level objectives for goodput: a request counts when its TTFT and its mean inter-token latency are within these bounds (a null bound is not checked).</summary>
internal sealed record SloOptions(double? TtftMs, double? ItlMs)
{
    public bool IsSet => TtftMs != null || ItlMs != null;

    public void Validate()
    {
        if (TtftMs is <= 0) throw new ArgumentException($"--slo-ttft-ms must be positive, got {TtftMs}");
        if (ItlMs is <= 0) throw new ArgumentException($"--slo-itl-ms must be positive, got {ItlMs}");
    }

    /// <summary>True when a successful request meets every objective that is set; a request with one token has no ITL and meets the ITL bound.</summary>
    public bool IsMet(RequestRecord record) =>
        record.Success
        && (TtftMs is not double ttft || record.TtftMs <= ttft)
        && (ItlMs is not double itl || (record.MeanItlMs ?? 0) <= itl);
}
