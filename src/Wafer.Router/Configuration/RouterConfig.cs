namespace Wafer.Router.Configuration;

/// <summary>The router's whole configuration, as read from router.json.</summary>
public sealed record RouterConfig
{
    /// <summary>The backends requests may go to.</summary>
    public IReadOnlyList<BackendConfig> Backends { get; init; } = [];

    /// <summary>One route per model name.</summary>
    public IReadOnlyList<RouteConfig> Routes { get; init; } = [];

    /// <summary>Health probing and ejection.</summary>
    public HealthConfig Health { get; init; } = new();

    /// <summary>Per-key rate limits; null = none.</summary>
    public RateLimitConfig? RateLimits { get; init; }
}
