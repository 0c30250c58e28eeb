namespace Wafer.Models.Sampling;

/// <summary>Chooses the most likely token (ties: lowest id).</summary>
public sealed class GreedySampler : ISampler
{
    public string Name => "greedy";

    public void Apply(TokenCandidates candidates)
    {
        var items = candidates.Items;
        int best = 0;
        for (int i = 1; i < items.Length; i++)
            if (items[i].Logit > items[best].Logit || (items[i].Logit == items[best].Logit && items[i].Id < items[best].Id)) best = i;
        (items[0], items[best]) = (items[best], items[0]);
        candidates.Truncate(1);
    }
}
