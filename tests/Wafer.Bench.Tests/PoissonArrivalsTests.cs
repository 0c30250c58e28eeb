using Wafer.Bench;

namespace Wafer.Bench.Tests;

public class PoissonArrivalsTests
{
    [Fact]
    public void OffsetsSeconds_ManyArrivals_ExponentialGapsWithMeanOneOverRate()
    {
        const double rate = 40;
        double[] t = PoissonArrivals.OffsetsSeconds(20_000, rate, new Random(7));
        double[] gaps = [.. t.Skip(1).Select((x, i) => x - t[i])];

        double mean = gaps.Average();
        double sd = Math.Sqrt(gaps.Average(g => (g - mean) * (g - mean)));
        Assert.Equal(0, t[0]);
        Assert.All(gaps, g => Assert.True(g >= 0));
        Assert.InRange(mean * rate, 0.97, 1.03);
        Assert.InRange(sd / mean, 0.95, 1.05); // an exponential's coefficient of variation is 1
        // P(gap > mean) = e^-1 for an exponential.
        Assert.InRange(gaps.Count(g => g > 1 / rate) / (double)gaps.Length, Math.Exp(-1) - 0.02, Math.Exp(-1) + 0.02);
    }

    [Fact]
    public void OffsetsSeconds_OneSecondWindows_CountsHavePoissonVariance()
    {
        const double rate = 20;
        double[] t = PoissonArrivals.OffsetsSeconds(40_000, rate, new Random(11));
        int windows = (int)t[^1];
        int[] counts = new int[windows];
        foreach (double x in t) if ((int)x < windows) counts[(int)x]++;

        double mean = counts.Average();
        double variance = counts.Average(c => (c - mean) * (c - mean));
        Assert.InRange(mean, rate * 0.97, rate * 1.03);
        Assert.InRange(variance / mean, 0.85, 1.15); // Poisson counts: variance = mean
    }

    [Fact]
    public void OffsetsSeconds_SameSeed_SameArrivals()
    {
        Assert.Equal(PoissonArrivals.OffsetsSeconds(100, 5, new Random(3)), PoissonArrivals.OffsetsSeconds(100, 5, new Random(3)));
        Assert.NotEqual(PoissonArrivals.OffsetsSeconds(100, 5, new Random(3)), PoissonArrivals.OffsetsSeconds(100, 5, new Random(4)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void OffsetsSeconds_BadRate_Throws(double rate) =>
        Assert.Throws<ArgumentException>(() => PoissonArrivals.OffsetsSeconds(10, rate, new Random(1)));
}
