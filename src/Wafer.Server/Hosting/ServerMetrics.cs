using System.Diagnostics.Metrics;

namespace Wafer.Server.Hosting;

/// <summary>The server's own instruments (the engine's are in Wafer.Engine's meter).</summary>
public sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "Wafer.Server";
    private readonly Meter _meter = new(MeterName);

    public ServerMetrics()
    {
        Requests = _meter.CreateCounter<long>("wafer.requests", description: "HTTP requests to the generation endpoints, by status code");
        RetrievalLatency = _meter.CreateHistogram("wafer.retrieval_latency", "s", "Time of one knowledge-base search (BM25, vectors, fusion)", tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
        ChunksSearched = _meter.CreateCounter<long>("wafer.retrieval_chunks_searched", "{chunk}", "Chunks a search scanned (the knowledge base's size per search)");
        _meter.CreateObservableGauge("wafer.kb_chunks", () => KnowledgeBaseChunks, "{chunk}", "Chunks in the knowledge base");
    }

    /// <summary>Exported as wafer_retrieval_latency_seconds.</summary>
    public Histogram<double> RetrievalLatency { get; }

    /// <summary>Exported as wafer_retrieval_chunks_searched_total.</summary>
    public Counter<long> ChunksSearched { get; }

    /// <summary>The knowledge base's size, exported as wafer_kb_chunks.</summary>
    public long KnowledgeBaseChunks { get; set; }

    /// <summary>Exported as wafer_requests_total{status}.</summary>
    public Counter<long> Requests { get; }

    /// <summary>True for this server's meter: another server in the same process has a meter of the same name.</summary>
    public bool Owns(Meter meter) => ReferenceEquals(meter, _meter);

    public void Dispose() => _meter.Dispose();
}
