namespace Wafer.Models.Tests.Sampling;

/// <summary>Seeded logit vectors for the sampling tests: spread-out, peaked like a language model's, with ties and −∞.</summary>
internal static class SamplingTestData
{
    /// <summary>n logits ~ N(0, spread²); <paramref name="ties"/> rounds them to integers (many equal values); a tenth are −∞ when
    /// <paramref name="negativeInfinity"/>; <paramref name="peaked"/> lifts a few tokens well above the rest.</summary>
    public static float[] Logits(Random random, int n, float spread = 2, bool ties = false, bool negativeInfinity = false, bool peaked = false)
    {
        var logits = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            float v = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2) * spread);
            if (ties) v = MathF.Round(v);
            if (negativeInfinity && random.Next(10) == 0) v = float.NegativeInfinity;
            logits[i] = v;
        }
        if (peaked)
            for (int j = 0; j < Math.Min(n, 8); j++) logits[random.Next(n)] = 12 + 3 * j * (float)random.NextDouble();
        return logits;
    }

    /// <summary>A vector of one of the shapes above, chosen by <paramref name="random"/>.</summary>
    public static float[] AnyLogits(Random random, int n) => random.Next(4) switch
    {
        0 => Logits(random, n),
        1 => Logits(random, n, ties: true),
        2 => Logits(random, n, negativeInfinity: true, peaked: true),
        _ => Logits(random, n, spread: 1.5f, peaked: true),
    };
}
