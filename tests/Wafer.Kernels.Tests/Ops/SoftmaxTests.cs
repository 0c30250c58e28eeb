using Wafer.Kernels.Ops;
using Wafer.Kernels.Tests.Quantization;

namespace Wafer.Kernels.Tests.Ops;

public class SoftmaxTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(64)]
    [InlineData(513)]
    public void InPlace_MatchesScalarTwinAndExactSoftmax(int length)
    {
        var values = TestData.Gaussian(length, seed: length, scale: 4f);
        var twin = (float[])values.Clone();
        var exact = values.Select(v => Math.Exp(v - values.Max())).ToArray();
        double total = exact.Sum();

        Softmax.InPlace(values);
        Softmax.InPlaceScalar(twin);

        Assert.Equal(twin, values);
        for (int i = 0; i < length; i++) Assert.Equal(exact[i] / total, values[i], 1e-6 * (1 + exact[i] / total));
        Assert.Equal(1.0, values.Sum(v => (double)v), 1e-5);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(256)]
    [InlineData(257)]
    public void ExpInPlace_MatchesScalarTwin_SumIsTheSumOfTheExps(int length)
    {
        var values = TestData.Gaussian(length, seed: 100 + length, scale: 4f);
        var twin = (float[])values.Clone();
        float shift = length == 0 ? 0 : values.Max() + 0.5f; // a running maximum above this chunk's, as the online softmax passes
        var exact = values.Select(v => Math.Exp(v - shift)).ToArray();

        double sum = Softmax.ExpInPlace(values, shift);
        double twinSum = Softmax.ExpInPlaceScalar(twin, shift);

        Assert.Equal(twin, values);
        Assert.Equal(twinSum, sum);
        Assert.Equal(values.Sum(v => (double)v), sum, 1e-9 * (1 + sum));
        for (int i = 0; i < length; i++) Assert.Equal(exact[i], values[i], 1e-6 * (1 + exact[i]));
    }

    [Fact]
    public void InPlace_VeryNegativeScores_GetZeroNotGarbage()
    {
        float[] values = [0f, -100f, float.NegativeInfinity, -86f, -88f, 1f, -3f, -1000f, -90f];
        Softmax.InPlace(values);
        Assert.Equal(0f, values[1]);
        Assert.Equal(0f, values[2]);
        Assert.Equal(0f, values[7]);
        Assert.True(values[3] > 0);
        Assert.Equal(1.0, values.Sum(v => (double)v), 1e-6);
    }
}
