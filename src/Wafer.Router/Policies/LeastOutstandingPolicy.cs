using Wafer.Router.Backends;

namespace Wafer.Router.Policies;

/// <summary>Picks the backend with the least work in flight (open requests and estimated tokens, per unit of weight).</summary>
/// <remarks>Ties are broken from a random starting point so equal backends share the load.</remarks>
internal sealed class LeastOutstandingPolicy(Random random) : IRoutingPolicy
{
    public string Name => RoutingPolicies.LeastOutstanding;

    public Backend? PickDestination(RoutingContext context, IReadOnlyList<Backend> available)
    {
        int start;
        lock (random) start = random.Next(available.Count);
        Backend best = available[start];
        double bestLoad = best.Load;
        for (int i = 1; i < available.Count; i++)
        {
            var candidate = available[(start + i) % available.Count];
            double load = candidate.Load;
            if (load < bestLoad) (best, bestLoad) = (candidate, load);
        }
        return best;
    }
}
