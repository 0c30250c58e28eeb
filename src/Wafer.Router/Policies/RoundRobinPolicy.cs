using Wafer.Router.Backends;

namespace Wafer.Router.Policies;

/// <summary>Takes the available backends in turn.</summary>
internal sealed class RoundRobinPolicy : IRoutingPolicy
{
    private uint _next;

    public string Name => RoutingPolicies.RoundRobin;

    public Backend? PickDestination(RoutingContext context, IReadOnlyList<Backend> available) =>
        available[(int)(Interlocked.Increment(ref _next) % (uint)available.Count)];
}
