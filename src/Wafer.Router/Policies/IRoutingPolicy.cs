using Wafer.Router.Backends;

namespace Wafer.Router.Policies;

/// <summary>Chooses the backend for one request among the available ones.</summary>
public interface IRoutingPolicy
{
    /// <summary>The name used in router.json ("round-robin", …).</summary>
    string Name { get; }

    /// <summary>Picks one of <paramref name="available"/> (never empty), or null to pick none.</summary>
    Backend? PickDestination(RoutingContext context, IReadOnlyList<Backend> available);
}
