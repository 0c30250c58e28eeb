using Wafer.Router.Backends;

namespace Wafer.Router.Policies;

/// <summary>Samples two distinct backends at random and takes the less loaded one.</summary>
internal sealed class PowerOfTwoChoicesPolicy(Random random) : IRoutingPolicy
{
    public string Name => RoutingPolicies.PowerOfTwo;

    public Backend? PickDestination(RoutingContext context, IReadOnlyList<Backend> available)
    {
        if (available.Count == 1) return available[0];
        int a, b;
        lock (random)
        {
            a = random.Next(available.Count);
            b = random.Next(available.Count - 1);
        }
        if (b >= a) b++;
        return available[a].Load <= available[b].Load ? available[a] : available[b];
    }
}
