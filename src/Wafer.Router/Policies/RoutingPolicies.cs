using Wafer.Router.Configuration;

namespace Wafer.Router.Policies;

/// <summary>The policy names router.json accepts, and the factory that makes one per route.</summary>
public static class RoutingPolicies
{
    /// <summary>Backends in turn.</summary>
    public const string RoundRobin = "round-robin";

    /// <summary>Least open requests and tokens in flight.</summary>
    public const string LeastOutstanding = "least-outstanding";

    /// <summary>Better of two random choices.</summary>
    public const string PowerOfTwo = "power-of-two";

    /// <summary>Consistent hashing of the prompt prefix with bounded load.</summary>
    public const string PrefixAffinity = "prefix-affinity";

    /// <summary>Cheapest tier first, escalating when the answer fails a check.</summary>
    public const string Cascade = "cascade";

    /// <summary>All accepted names.</summary>
    public static IReadOnlyList<string> Names { get; } = [RoundRobin, LeastOutstanding, PowerOfTwo, PrefixAffinity, Cascade];

    /// <summary>Whether <paramref name="name"/> is a policy name (case-sensitive).</summary>
    public static bool IsKnown(string name) => Names.Contains(name, StringComparer.Ordinal);

    /// <summary>A fresh policy for a route; cascade picks within a tier by least outstanding work.</summary>
    internal static IRoutingPolicy Create(RouteConfig route, Random random) => route.Policy switch
    {
        RoundRobin => new RoundRobinPolicy(),
        PowerOfTwo => new PowerOfTwoChoicesPolicy(random),
        PrefixAffinity => new PrefixAffinityPolicy(route.LoadFactor),
        _ => new LeastOutstandingPolicy(random),
    };
}
