namespace Wafer.Models.Sampling;

/// <summary>Keeps the <c>k</c> most likely tokens (k ≤ 0 keeps all).</summary>
public sealed class TopKSampler(int k) : ISampler
{
    public string Name => "top-k";

    /// <summary>How many tokens survive (≤ 0: all).</summary>
    internal int K => k;

    public void Apply(TokenCandidates candidates)
    {
        if (k <= 0 || k >= candidates.Count) return;
        candidates.Sort();
        candidates.Truncate(k);
    }
}
