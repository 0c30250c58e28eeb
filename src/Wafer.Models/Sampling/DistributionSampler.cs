namespace Wafer.Models.Sampling;

/// <summary>Draws a token from the softmax of the remaining candidates with a seeded random source.</summary>
public sealed class DistributionSampler(Random random) : ISampler
{
    public string Name => "dist";

    /// <summary>The seeded source every draw takes one <see cref="Random.NextDouble"/> from.</summary>
    internal Random Random => random;

    public void Apply(TokenCandidates candidates)
    {
        candidates.ComputeProbabilities(sort: false);
        var items = candidates.Items;
        double r = random.NextDouble(), cumulative = 0;
        int chosen = items.Length - 1;
        for (int i = 0; i < items.Length; i++)
        {
            cumulative += items[i].Probability;
            if (r < cumulative)
            {
                chosen = i;
                break;
            }
        }
        (items[0], items[chosen]) = (items[chosen], items[0]);
        candidates.Truncate(1);
    }
}
