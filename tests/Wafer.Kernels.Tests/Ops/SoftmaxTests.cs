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

    [Fact]
    public void Exp_AcrossItsRange_WithinTwoUlpOfDoubleExp()
    {
        var x = new float[8];
        var simd = new float[8];
        for (int step = 0; step < 200_000; step += 8)
        {
            for (int l = 0; l < 8; l++) x[l] = -87f + (step + l) * (175f / 200_000);
            if (System.Runtime.Intrinsics.X86.Fma.IsSupported)
                System.Runtime.Intrinsics.Vector256.CopyTo(Softmax.Exp(System.Runtime.Intrinsics.Vector256.Create(x)), simd);
            for (int l = 0; l < 8; l++)
            {
                float scalar = Softmax.ExpScalar(x[l]);
                if (System.Runtime.Intrinsics.X86.Fma.IsSupported) Assert.Equal(scalar, simd[l]);
                double exact = Math.Exp(x[l]);
                Assert.True(Math.Abs(scalar - exact) <= 2 * Ulp((float)exact), $"exp({x[l]}) = {scalar}, exactly {exact}");
            }
        }
    }

    private static double Ulp(float value) => MathF.BitIncrement(value) - value;
}
