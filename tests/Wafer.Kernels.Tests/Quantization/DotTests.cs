using Wafer.Kernels;
using Wafer.Kernels.Quantization;
using Xunit;

namespace Wafer.Kernels.Tests.Quantization;

public class DotTests
{
    // |Dot − dot(dequantized rows)| ≤ this × Σ|wᵢ·aᵢ|: only F32 rounding and summation order may differ.
    private const double DequantizedDotTolerance = 2e-5;

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_1)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q5_1)]
    [InlineData(GgmlType.Q2_K)]
    [InlineData(GgmlType.Q3_K)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.IQ4_NL)]
    [InlineData(GgmlType.IQ4_XS)]
    public void Dot_QuantizedRows_MatchesDotOfDequantizedRows(GgmlType type)
    {
        const int count = 2048;
        ITensorTypeKernels kernels = TensorTypes.Get(type);
        float[] w = TestData.Gaussian(count, seed: 11);
        float[] x = TestData.Gaussian(count, seed: 12, scale: 3f);
        byte[] wq = TestData.Quantize(type, w);
        byte[] xq = TestData.QuantizeActivation(kernels.ActivationType, x);
        float[] wd = TestData.Dequantize(type, wq, count);
        float[] xd = TestData.Dequantize(kernels.ActivationType, xq, count);

        double expected = 0;
        for (int i = 0; i < count; i++) expected += (double)wd[i] * xd[i];
        float actual = kernels.Dot(wq, xq, count);

        double tolerance = DequantizedDotTolerance * TestData.AbsoluteDotMass(wd, xd);
        Assert.True(Math.Abs(actual - expected) <= tolerance, $"{type}: {actual} vs {expected} (tolerance {tolerance:G3})");
    }

    [Fact]
    public void Dot_CountNotWholeBlocks_Throws()
    {
        ITensorTypeKernels kernels = TensorTypes.Get(GgmlType.Q4_0);
        Assert.Throws<ArgumentException>(() => kernels.Dot(new byte[18], new byte[34], 31));
    }
}
