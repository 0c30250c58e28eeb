namespace Wafer.Models.Sampling;

/// <summary>Divides logits by the temperature (T &gt; 0).</summary>
public sealed class TemperatureSampler(float temperature) : ISampler
{
    public string Name => "temperature";

    /// <summary>The divisor of the logits.</summary>
    internal float Temperature => temperature;

    public void Apply(TokenCandidates candidates)
    {
        if (temperature == 1.0f) return;
        foreach (ref var c in candidates.Items) c.Logit /= temperature;
    }
}
