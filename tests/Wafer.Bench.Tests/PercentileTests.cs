using Wafer.Bench;

namespace Wafer.Bench.Tests;

public class PercentileTests
{
    private static readonly double[] OneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

    [Theory]
    [InlineData(0, 1)]
    [InlineData(50, 5.5)]
    [InlineData(90, 9.1)]
    [InlineData(99, 9.91)]
    [InlineData(100, 10)]
    public void OfSorted_OneToTen_MatchesNumpyLinear(double percent, double expected) =>
        Assert.Equal(expected, Percentile.OfSorted(OneToTen, percent), 1e-9);

    [Fact]
    public void OfSorted_OneValue_ThatValue() => Assert.Equal(7, Percentile.OfSorted([7.0], 99));

    [Fact]
    public void OfSorted_Empty_Throws() => Assert.Throws<ArgumentException>(() => Percentile.OfSorted([], 50));

    [Fact]
    public void LatencySummaryFrom_UnsortedValues_MeanPercentilesMax()
    {
        var s = LatencySummary.From([10, 1, 4, 3, 2, 9, 8, 7, 6, 5]);
        Assert.Equal(new LatencySummary(10, 5.5, 5.5, 9.1, 9.91, 10), s with { P90 = Math.Round(s.P90, 9), P99 = Math.Round(s.P99, 9) });
    }

    [Fact]
    public void LatencySummaryFrom_NoValues_Empty() => Assert.Equal(LatencySummary.Empty, LatencySummary.From([]));
}
