using System.Diagnostics.Metrics;

namespace Wafer.Router.Hosting;

/// <summary>The router's instruments, named once (Prometheus: wafer_router_*).</summary>
internal sealed class RouterMetrics : IDisposable
{
    public const string MeterName = "Wafer.Router";
    private readonly Meter _meter = new(MeterName);

    public RouterMetrics()
    {
        Requests = _meter.CreateCounter<long>("wafer.router.requests", "{request}", "Client requests answered, by route and status");
        UpstreamRequests = _meter.CreateCounter<long>("wafer.router.upstream_requests", "{request}", "Requests sent to backends (primaries, retries, hedges)");
        Retries = _meter.CreateCounter<long>("wafer.router.retries", "{request}", "Retries sent after a backend failed before anything reached the client");
        HedgesSent = _meter.CreateCounter<long>("wafer.router.hedges_sent", "{request}", "Hedged copies sent because the first token was late");
        HedgesWon = _meter.CreateCounter<long>("wafer.router.hedges_won", "{request}", "Hedged copies that produced the first token first");
        Ejections = _meter.CreateCounter<long>("wafer.router.ejections", "{event}", "Backends taken out of rotation (circuit opened, or connection refused)");
        Escalations = _meter.CreateCounter<long>("wafer.router.cascade_escalations", "{request}", "Cascade answers that failed a check and went to the next tier");
        Cost = _meter.CreateCounter<double>("wafer.router.cost", null, "Cost of answered requests (config units), by route and tier");
        RateLimited = _meter.CreateCounter<long>("wafer.router.rate_limited", "{request}", "Requests refused with 429 by per-key limits");
        AddedLatency = _meter.CreateHistogram<double>("wafer.router.added_latency", "ms", "Time the router itself adds to a request (before sending, and between the backend's first bytes and the client's)");
        TimeToFirstToken = _meter.CreateHistogram<double>("wafer.router.time_to_first_token", "ms", "Time from a request's arrival to its first bytes written to the client");
    }

    public Counter<long> Requests { get; }
    public Counter<long> UpstreamRequests { get; }
    public Counter<long> Retries { get; }
    public Counter<long> HedgesSent { get; }
    public Counter<long> HedgesWon { get; }
    public Counter<long> Ejections { get; }
    public Counter<long> Escalations { get; }
    public Counter<double> Cost { get; }
    public Counter<long> RateLimited { get; }
    public Histogram<double> AddedLatency { get; }
    public Histogram<double> TimeToFirstToken { get; }

    public static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);

    public void Dispose() => _meter.Dispose();
}
