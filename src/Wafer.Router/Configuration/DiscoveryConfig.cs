namespace Wafer.Router.Configuration;

/// <summary>Where a backend group finds its replicas: exactly one of <see cref="Kubernetes"/> or <see cref="Dns"/>.</summary>
/// <remarks>
/// A backend with <c>discover</c> instead of <c>url</c> is a group: each replica found becomes a backend named
/// <c>GROUP/ADDRESS:PORT</c> with the group's models, key, weight, tier and costs, and a route that lists the group
/// routes over all of them. Scaling the replicas needs no config edit.
/// </remarks>
public sealed record DiscoveryConfig
{
    /// <summary>The ready endpoints of a Service, from its EndpointSlices (list + watch).</summary>
    public KubernetesDiscoveryConfig? Kubernetes { get; init; }

    /// <summary>The addresses a name resolves to (a headless Service's A/AAAA records), polled.</summary>
    public DnsDiscoveryConfig? Dns { get; init; }

    /// <summary>http or https.</summary>
    public string Scheme { get; init; } = "http";
}

/// <summary>Replicas from the EndpointSlices of one Service.</summary>
public sealed record KubernetesDiscoveryConfig
{
    /// <summary>The Service whose endpoints are the replicas (label <c>kubernetes.io/service-name</c>).</summary>
    public string Service { get; init; } = "";

    /// <summary>Its namespace; null = the router's own (in a cluster), else the kubeconfig's, else "default".</summary>
    public string? Namespace { get; init; }

    /// <summary>The Service port's name to use (e.g. "http"); or give <see cref="Port"/>; neither = the slice's only port.</summary>
    public string? PortName { get; init; }

    /// <summary>The replicas' port number as the EndpointSlice lists it (the pods' port, not the Service's).</summary>
    public int? Port { get; init; }

    /// <summary>The API server's address; null = in-cluster configuration, else the kubeconfig. An address such as
    /// <c>http://127.0.0.1:8001</c> (<c>kubectl proxy</c>) is used without credentials.</summary>
    public string? ApiServer { get; init; }
}

/// <summary>Replicas from DNS: every address the host name resolves to, on one port.</summary>
public sealed record DnsDiscoveryConfig
{
    /// <summary>Name to resolve, e.g. wafer-serve-headless.wafer.svc.cluster.local.</summary>
    public string Host { get; init; } = "";

    /// <summary>The replicas' port.</summary>
    public int Port { get; init; }

    /// <summary>How often the name is resolved again.</summary>
    public double IntervalMs { get; init; } = 5000;
}
