using Microsoft.Extensions.Logging;

namespace Wafer.Router.Hosting;

/// <summary>What every request handler shares: the upstream client, the clock, metrics, the log and the current state.</summary>
internal sealed class RouterContext(HttpClient client, TimeProvider time, RouterMetrics metrics, ILogger logger, RouterState state)
{
    private RouterState _state = state;

    public HttpClient Client { get; } = client;
    public TimeProvider Time { get; } = time;
    public RouterMetrics Metrics { get; } = metrics;
    public ILogger Logger { get; } = logger;

    /// <summary>The discovered groups (for /health); null before the router finished starting.</summary>
    public Discovery.ReplicaDiscovery? Discovery { get; set; }

    /// <summary>The configuration in force; swapped atomically on reload.</summary>
    public RouterState State
    {
        get => Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, value);
    }
}
