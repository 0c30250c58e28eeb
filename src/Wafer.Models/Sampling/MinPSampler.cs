namespace Wafer.Models.Sampling;

/// <summary>Drops tokens whose probability is below <c>p</c> × the top token's probability.</summary>
public sealed class MinPSampler(float p) : ISampler
{
    public string Name => "min-p";

    /// <summary>The fraction of the top probability a token needs (0: off).</summary>
    internal float P => p;

    public void Apply(TokenCandidates candidates)
    {
        if (p <= 0.0f) return;
        candidates.Sort();
        var items = candidates.Items;
        // p_i ≥ p · p_max  ⇔  logit_i ≥ logit_max + ln p
        float threshold = items[0].Logit + MathF.Log(p);
        int keep = 1;
        while (keep < items.Length && items[keep].Logit >= threshold) keep++;
        candidates.Truncate(keep);
    }
}
