using System.Diagnostics.Metrics;

namespace Wafer.Engine.Metrics;

/// <summary>The engine's instruments, named once (OpenTelemetry's Prometheus exporter turns <c>wafer.x</c> with unit s into <c>wafer_x_seconds</c>).</summary>
public sealed class EngineMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "Wafer.Engine";

    private readonly Meter _meter;

    public EngineMetrics(Func<int> waiting, Func<int> running, Func<int> blocksUsed, Func<int> blocksTotal,
        Func<long> prefixQueries, Func<long> prefixHits, IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableGauge("wafer.requests_running", running, description: "Requests being decoded");
        _meter.CreateObservableGauge("wafer.requests_waiting", waiting, description: "Requests waiting to be scheduled");
        _meter.CreateObservableGauge("wafer.kv_cache_blocks_used", blocksUsed, description: "KV blocks held by requests");
        _meter.CreateObservableGauge("wafer.kv_cache_blocks_total", blocksTotal, description: "KV blocks in the pool");
        _meter.CreateObservableGauge("wafer.kv_cache_usage_ratio", () => (double)blocksUsed() / Math.Max(1, blocksTotal()), description: "Share of KV blocks held by requests");
        _meter.CreateObservableCounter("wafer.prefix_cache_queries", prefixQueries, unit: "{token}", description: "Prompt tokens looked up in the prefix cache");
        _meter.CreateObservableCounter("wafer.prefix_cache_hits", prefixHits, unit: "{token}", description: "Prompt tokens found in the prefix cache");
        TimeToFirstToken = _meter.CreateHistogram<double>("wafer.time_to_first_token", "s", "Time from arrival to the first generated token");
        InterTokenLatency = _meter.CreateHistogram<double>("wafer.inter_token_latency", "s", "Time between consecutive tokens of a request");
        QueueTime = _meter.CreateHistogram<double>("wafer.request_queue_time", "s", "Time from arrival to first scheduling");
        EndToEnd = _meter.CreateHistogram<double>("wafer.e2e_request_latency", "s", "Time from arrival to the last token");
        PromptTokens = _meter.CreateCounter<long>("wafer.prompt_tokens", "{token}", "Prompt tokens of finished requests");
        GeneratedTokens = _meter.CreateCounter<long>("wafer.generation_tokens", "{token}", "Generated tokens");
        Preemptions = _meter.CreateCounter<long>("wafer.preemptions", "{request}", "Requests preempted for lack of KV blocks");
    }

    public Histogram<double> TimeToFirstToken { get; }
    public Histogram<double> InterTokenLatency { get; }
    public Histogram<double> QueueTime { get; }
    public Histogram<double> EndToEnd { get; }
    public Counter<long> PromptTokens { get; }
    public Counter<long> GeneratedTokens { get; }
    public Counter<long> Preemptions { get; }

    public void Dispose() => _meter.Dispose();
}
