namespace Wafer.Router.Configuration;

/// <summary>One OpenAI-compatible backend (a <c>wafer serve</c> replica or any other server).</summary>
public sealed record BackendConfig
{
    /// <summary>Unique name routes refer to, e.g. "r0".</summary>
    public string Name { get; init; } = "";

    /// <summary>Base address, e.g. http://127.0.0.1:8081 (paths /v1/... and /health are appended); empty when <see cref="Discover"/> finds the addresses.</summary>
    public string Url { get; init; } = "";

    /// <summary>Instead of <see cref="Url"/>: a group whose replicas are discovered (Kubernetes EndpointSlices or DNS).</summary>
    public DiscoveryConfig? Discover { get; init; }

    /// <summary>Model names this backend serves.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>Bearer key the router sends to this backend (the client's key is not forwarded).</summary>
    public string? ApiKey { get; init; }

    /// <summary>Relative capacity; least-outstanding and affinity divide load by it.</summary>
    public double Weight { get; init; } = 1;

    /// <summary>Cascade tier: lower tiers are tried first.</summary>
    public int Tier { get; init; }

    /// <summary>Cost of 1000 prompt tokens, in any currency unit.</summary>
    public double CostPer1kInput { get; init; }

    /// <summary>Cost of 1000 generated tokens.</summary>
    public double CostPer1kOutput { get; init; }
}
