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
        TimeToFirstToken = Seconds("wafer.time_to_first_token", "Time from arrival to the first generated token");
        InterTokenLatency = Seconds("wafer.inter_token_latency", "Time between consecutive tokens of a request");
        QueueTime = Seconds("wafer.request_queue_time", "Time from arrival to first scheduling");
        EndToEnd = Seconds("wafer.e2e_request_latency", "Time from arrival to the last token");
        PromptTokens = _meter.CreateCounter<long>("wafer.prompt_tokens", "{token}", "Prompt tokens of finished requests");
        GeneratedTokens = _meter.CreateCounter<long>("wafer.generation_tokens", "{token}", "Generated tokens");
        Preemptions = _meter.CreateCounter<long>("wafer.preemptions", "{request}", "Requests preempted for lack of KV blocks");
        SpecDraftTokens = _meter.CreateCounter<long>("wafer.spec_draft_tokens", "{token}", "Draft tokens proposed for verification (speculative decoding)");
        SpecAcceptedTokens = _meter.CreateCounter<long>("wafer.spec_accepted_tokens", "{token}", "Draft tokens the target accepted");
        SpecAcceptedLength = _meter.CreateHistogram("wafer.spec_accepted_length", "{token}", "Draft tokens accepted per verification", tags: null,
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [0, 1, 2, 3, 4, 5, 6, 8, 12, 16, 32] });
    }

    /// <summary>Latency buckets from 1 ms to 100 s.</summary>
    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 25, 50, 100];

    private Histogram<double> Seconds(string name, string description) =>
        _meter.CreateHistogram(name, "s", description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    public Histogram<double> TimeToFirstToken { get; }
    public Histogram<double> InterTokenLatency { get; }
    public Histogram<double> QueueTime { get; }
    public Histogram<double> EndToEnd { get; }
    public Counter<long> PromptTokens { get; }
    public Counter<long> GeneratedTokens { get; }
    public Counter<long> Preemptions { get; }
    public Counter<long> SpecDraftTokens { get; }
    public Counter<long> SpecAcceptedTokens { get; }
    public Histogram<int> SpecAcceptedLength { get; }

    public void Dispose() => _meter.Dispose();
}
