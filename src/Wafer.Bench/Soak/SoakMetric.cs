namespace Wafer.Bench.Soak;

/// <summary>A server series a soak watches, and how much it may grow from the early part of the run to the late part
/// before the run fails: median of the last third above the first third's × (1 + <paramref name="RelativeAllowance"/>) +
/// <paramref name="AbsoluteAllowance"/>.</summary>
/// <param name="Series">The Prometheus metric (summed over its label sets).</param>
/// <param name="Bytes">Whether it is a byte count (printed in MiB).</param>
internal sealed record SoakMetric(string Name, string Series, bool Bytes, double RelativeAllowance, double AbsoluteAllowance)
{
    private const double MiB = 1024 * 1024;

    /// <summary>What the soak samples: the process's resources (exported by <c>wafer serve</c> and <c>wafer route</c>) and the
    /// KV blocks held by requests. The allowances are wide on purpose: a leak grows on for the whole run, noise does not.</summary>
    public static readonly IReadOnlyList<SoakMetric> Watched =
    [
        new("RSS", "wafer_process_resident_memory_bytes", true, 0.25, 64 * MiB),
        new("GC heap", "wafer_process_gc_heap_bytes", true, 0.5, 32 * MiB),
        new("threads", "wafer_process_threads", false, 0.5, 16),
        new("open sockets", "wafer_process_open_sockets", false, 0.5, 16),
        new("open fds", "wafer_process_open_fds", false, 0.5, 16),
        new("KV blocks used", KvBlocksUsed, false, double.PositiveInfinity, 0),
    ];

    /// <summary>KV blocks held by requests: its level under load follows the load, so it is judged at idle instead (back to
    /// its idle value before the run once every request ended).</summary>
    public const string KvBlocksUsed = "wafer_kv_cache_blocks_used";

    /// <summary>Requests the server counted (every status, every /v1 endpoint).</summary>
    public const string RequestsTotal = "wafer_requests_total";

    public const string Running = "wafer_requests_running";
    public const string Waiting = "wafer_requests_waiting";

    public bool JudgedForGrowth => !double.IsPositiveInfinity(RelativeAllowance);

    public string Format(double value) => Bytes ? $"{value / MiB:0.0} MiB" : $"{value:0}";
}
