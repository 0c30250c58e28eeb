namespace Wafer.Router.Configuration;

/// <summary>Active probing and passive ejection of backends.</summary>
public sealed record HealthConfig
{
    /// <summary>Interval of GET /health probes in milliseconds; 0 disables active probing.</summary>
    public double ProbeIntervalMs { get; init; } = 1000;

    /// <summary>Probe timeout in milliseconds.</summary>
    public double ProbeTimeoutMs { get; init; } = 1000;

    /// <summary>Circuit breaker: share of failed calls (0–1) in the sampling window that opens it.</summary>
    public double FailureRatio { get; init; } = 0.5;

    /// <summary>Circuit breaker: calls needed in the window before it may open.</summary>
    public int MinimumThroughput { get; init; } = 3;

    /// <summary>Circuit breaker: sampling window in milliseconds.</summary>
    public double SamplingWindowMs { get; init; } = 5000;

    /// <summary>How long an ejected backend rests before one trial request (half-open), in milliseconds.</summary>
    public double BreakMs { get; init; } = 2000;
}
