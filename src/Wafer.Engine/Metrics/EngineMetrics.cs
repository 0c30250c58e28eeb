using System.Diagnostics.Metrics;

namespace Wafer.Engine.Metrics;

/// <summary>The engine's instruments, named once (OpenTelemetry's Prometheus exporter turns <c>wafer.x</c> with unit s into <c>wafer_x_seconds</c>).</summary>
/// <remarks>Every measurement carries the tag <c>model</c> (the served name) when the engine has one, so a server with many
/// models exports one series per model: engines in one process share the meter name, and OpenTelemetry folds same-named
/// instruments into one metric whose series the tag tells apart.</remarks>
public sealed class EngineMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "Wafer.Engine";

    private readonly Meter _meter;

    public EngineMetrics(Func<int> waiting, Func<int> running, Func<int> blocksUsed, Func<int> blocksTotal,
        Func<long> prefixQueries, Func<long> prefixHits, IMeterFactory? factory = null, string? model = null,
        string[]? precisions = null, Func<int, int>? held = null, Func<bool>? pressure = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        KeyValuePair<string, object?>[] tags = model == null ? [] : [new("model", model)];
        // One tag set per KV precision tier (the full one, and the reduced one of --adaptive), made once.
        precisions ??= ["f32"];
        _precisionTags = Array.ConvertAll(precisions, p => tags.Append(new KeyValuePair<string, object?>("kv_precision", p)).ToArray());
        _admitted = _meter.CreateCounter<long>("wafer.sequences_admitted", "{request}", "Requests queued, by the KV precision that stores them");
        if (held != null)
            _meter.CreateObservableGauge("wafer.sequences_held", () => Enumerable.Range(0, _precisionTags.Length).Select(t => new Measurement<int>(held(t), _precisionTags[t])),
                description: "Requests queued or running, by the KV precision that stores them");
        if (pressure != null)
            _meter.CreateObservableGauge("wafer.kv_pressure", () => new Measurement<int>(pressure() ? 1 : 0, tags),
                description: "1 while --adaptive admits new requests at the reduced KV precision");
        _meter.CreateObservableGauge("wafer.requests_running", () => new Measurement<int>(running(), tags), description: "Requests being decoded");
        _meter.CreateObservableGauge("wafer.requests_waiting", () => new Measurement<int>(waiting(), tags), description: "Requests waiting to be scheduled");
        _meter.CreateObservableGauge("wafer.kv_cache_blocks_used", () => new Measurement<int>(blocksUsed(), tags), description: "KV blocks held by requests");
        _meter.CreateObservableGauge("wafer.kv_cache_blocks_total", () => new Measurement<int>(blocksTotal(), tags), description: "KV blocks in the pool");
        _meter.CreateObservableGauge("wafer.kv_cache_usage_ratio", () => new Measurement<double>((double)blocksUsed() / Math.Max(1, blocksTotal()), tags), description: "Share of KV blocks held by requests");
        _meter.CreateObservableCounter("wafer.prefix_cache_queries", () => new Measurement<long>(prefixQueries(), tags), unit: "{token}", description: "Prompt tokens looked up in the prefix cache");
        _meter.CreateObservableCounter("wafer.prefix_cache_hits", () => new Measurement<long>(prefixHits(), tags), unit: "{token}", description: "Prompt tokens found in the prefix cache");
        TimeToFirstToken = new(Seconds("wafer.time_to_first_token", "Time from arrival to the first generated token"), tags);
        InterTokenLatency = new(Seconds("wafer.inter_token_latency", "Time between consecutive tokens of a request"), tags);
        QueueTime = new(Seconds("wafer.request_queue_time", "Time from arrival to first scheduling"), tags);
        EndToEnd = new(Seconds("wafer.e2e_request_latency", "Time from arrival to the last token"), tags);
        PromptTokens = new(_meter.CreateCounter<long>("wafer.prompt_tokens", "{token}", "Prompt tokens of finished requests"), tags);
        GeneratedTokens = new(_meter.CreateCounter<long>("wafer.generation_tokens", "{token}", "Generated tokens"), tags);
        Preemptions = new(_meter.CreateCounter<long>("wafer.preemptions", "{request}", "Requests preempted for lack of KV blocks"), tags);
        SpecDraftTokens = new(_meter.CreateCounter<long>("wafer.spec_draft_tokens", "{token}", "Draft tokens proposed for verification (speculative decoding)"), tags);
        SpecAcceptedTokens = new(_meter.CreateCounter<long>("wafer.spec_accepted_tokens", "{token}", "Draft tokens the target accepted"), tags);
        SpecAcceptedLength = new(_meter.CreateHistogram("wafer.spec_accepted_length", "{token}", "Draft tokens accepted per verification", tags: null,
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [0, 1, 2, 3, 4, 5, 6, 8, 12, 16, 32] }), tags);
    }

    private readonly KeyValuePair<string, object?>[][] _precisionTags;
    private readonly Counter<long> _admitted;

    /// <summary>Counts one request queued at precision tier <paramref name="tier"/>.</summary>
    public void CountAdmission(int tier) => _admitted.Add(1, _precisionTags[tier]);

    /// <summary>A counter whose every increment carries the engine's tags.</summary>
    public readonly struct TaggedCounter(Counter<long> counter, KeyValuePair<string, object?>[] tags)
    {
        public void Add(long value) => counter.Add(value, tags);
    }

    /// <summary>A histogram whose every record carries the engine's tags.</summary>
    public readonly struct TaggedHistogram<T>(Histogram<T> histogram, KeyValuePair<string, object?>[] tags) where T : struct
    {
        public void Record(T value) => histogram.Record(value, tags);
    }

    /// <summary>Latency buckets from 1 ms to 100 s.</summary>
    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 25, 50, 100];

    private Histogram<double> Seconds(string name, string description) =>
        _meter.CreateHistogram(name, "s", description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    public TaggedHistogram<double> TimeToFirstToken { get; }
    public TaggedHistogram<double> InterTokenLatency { get; }
    public TaggedHistogram<double> QueueTime { get; }
    public TaggedHistogram<double> EndToEnd { get; }
    public TaggedCounter PromptTokens { get; }
    public TaggedCounter GeneratedTokens { get; }
    public TaggedCounter Preemptions { get; }
    public TaggedCounter SpecDraftTokens { get; }
    public TaggedCounter SpecAcceptedTokens { get; }
    public TaggedHistogram<int> SpecAcceptedLength { get; }

    public void Dispose() => _meter.Dispose();
}
