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
    }

    /// <summary>Exported as wafer_requests_total{status}.</summary>
    public Counter<long> Requests { get; }

    public void Dispose() => _meter.Dispose();
}
