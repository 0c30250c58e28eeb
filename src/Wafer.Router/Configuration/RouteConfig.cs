namespace Wafer.Router.Configuration;

/// <summary>How requests for one model are spread over backends.</summary>
public sealed record RouteConfig
{
    /// <summary>The model name clients send.</summary>
    public string Model { get; init; } = "";

    /// <summary>Names of the backends serving this route.</summary>
    public IReadOnlyList<string> Backends { get; init; } = [];

    /// <summary>round-robin, least-outstanding, power-of-two, prefix-affinity or cascade.</summary>
    public string Policy { get; init; } = "least-outstanding";

    /// <summary>Attempts per request including the first (retries happen only before anything reached the client).</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Retries allowed per request (0.1 = at most 10 % extra requests).</summary>
    public double RetryBudgetRatio { get; init; } = 0.1;

    /// <summary>An attempt with no first token (streaming) or no answer (non-streaming) after this many ms fails.</summary>
    public double FirstTokenTimeoutMs { get; init; } = 30000;

    /// <summary>Hedging; null = off.</summary>
    public HedgingConfig? Hedging { get; init; }

    /// <summary>Prefix affinity: leading characters of the prompt that are hashed.</summary>
    public int PrefixChars { get; init; } = 256;

    /// <summary>Prefix affinity: a backend takes at most this factor times the mean load (bounded-load consistent hashing).</summary>
    public double LoadFactor { get; init; } = 1.25;

    /// <summary>Cascade checks; used when <see cref="Policy"/> is "cascade".</summary>
    public CascadeConfig Cascade { get; init; } = new();
}
