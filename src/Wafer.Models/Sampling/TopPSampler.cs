namespace Wafer.Models.Sampling;

/// <summary>Keeps the smallest set of most likely tokens whose probability reaches <c>p</c> (nucleus sampling).</summary>
public sealed class TopPSampler(float p) : ISampler
{
    public string Name => "top-p";

    /// <summary>The probability mass kept (1: all).</summary>
    internal float P => p;

    public void Apply(TokenCandidates candidates)
    {
        if (p >= 1.0f) return;
        candidates.ComputeProbabilities();
        var items = candidates.Items;
        double cumulative = 0;
        for (int i = 0; i < items.Length; i++)
        {
            cumulative += items[i].Probability;
            if (cumulative >= p)
            {
                candidates.Truncate(i + 1);
                return;
            }
        }
    }
}
