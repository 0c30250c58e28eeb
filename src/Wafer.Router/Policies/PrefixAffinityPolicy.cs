using Wafer.Router.Backends;

namespace Wafer.Router.Policies;

/// <summary>Consistent hashing of the prompt's leading text with bounded load, so a shared system prompt keeps landing where its KV blocks are cached.</summary>
/// <remarks>
/// Each backend owns <see cref="VirtualNodes"/> points on a ring. A request walks clockwise
/// from its prefix hash and takes the first backend whose open requests stay within
/// <c>loadFactor × (total + 1) / backends</c> (Mirrokni et al., "Consistent Hashing with
/// Bounded Loads"), so one hot prefix spills to the next backend instead of piling up.
/// </remarks>
internal sealed class PrefixAffinityPolicy(double loadFactor) : IRoutingPolicy
{
    internal const int VirtualNodes = 64;
    private Ring? _ring;

    public string Name => RoutingPolicies.PrefixAffinity;

    public Backend? PickDestination(RoutingContext context, IReadOnlyList<Backend> available)
    {
        var ring = RingFor(available);
        int total = 0;
        double weights = 0;
        foreach (var b in available)
        {
            total += b.Outstanding;
            weights += b.Config.Weight;
        }
        ulong hash = StableHash.Of(context.PrefixKey);
        int index = Array.BinarySearch(ring.Points, hash);
        if (index < 0) index = ~index;
        for (int step = 0; step < ring.Points.Length; step++)
        {
            var candidate = ring.Owners[(index + step) % ring.Points.Length];
            double capacity = Math.Ceiling(loadFactor * (total + 1) * candidate.Config.Weight / weights);
            if (candidate.Outstanding + 1 <= capacity) return candidate;
        }
        return ring.Owners[index % ring.Points.Length];
    }

    private Ring RingFor(IReadOnlyList<Backend> available)
    {
        var ring = _ring;
        if (ring != null && ring.Matches(available)) return ring;
        ring = Ring.Build(available);
        _ring = ring;
        return ring;
    }

    private sealed class Ring
    {
        public required Backend[] Members { get; init; }
        public required ulong[] Points { get; init; }   // [backends × VirtualNodes], sorted
        public required Backend[] Owners { get; init; } // [backends × VirtualNodes], owner of each point

        public bool Matches(IReadOnlyList<Backend> available)
        {
            if (available.Count != Members.Length) return false;
            for (int i = 0; i < Members.Length; i++)
                if (!ReferenceEquals(available[i], Members[i])) return false;
            return true;
        }

        public static Ring Build(IReadOnlyList<Backend> available)
        {
            var points = new List<(ulong Point, Backend Owner)>(available.Count * VirtualNodes);
            foreach (var b in available)
                for (int v = 0; v < VirtualNodes; v++)
                    points.Add((StableHash.Of($"{b.Name}#{v}"), b));
            points.Sort((x, y) => x.Point.CompareTo(y.Point));
            return new Ring
            {
                Members = [.. available],
                Points = [.. points.Select(p => p.Point)],
                Owners = [.. points.Select(p => p.Owner)],
            };
        }
    }
}
