using Wafer.Kernels;
using Wafer.Kernels.Quantization;
using Xunit;

namespace Wafer.Kernels.Tests.Quantization;

public class RoundTripTests
{
    // RMS error of dequantize(quantize(x)) relative to RMS(x) for standard-normal x: about 1.5× what each type reaches.
    [Theory]
    [InlineData(GgmlType.F32, 0.0)]
    [InlineData(GgmlType.F16, 0.0005)]
    [InlineData(GgmlType.BF16, 0.004)]
    [InlineData(GgmlType.Q8_0, 0.01)]
    [InlineData(GgmlType.Q8_1, 0.01)]
    [InlineData(GgmlType.Q8_K, 0.01)]
    [InlineData(GgmlType.Q5_0, 0.06)]
    [InlineData(GgmlType.Q5_1, 0.06)]
    [InlineData(GgmlType.Q4_0, 0.12)]
    [InlineData(GgmlType.Q4_1, 0.12)]
    [InlineData(GgmlType.IQ4_NL, 0.12)]
    [InlineData(GgmlType.IQ4_XS, 0.12)]
    [InlineData(GgmlType.Q6_K, 0.03)]
    [InlineData(GgmlType.Q5_K, 0.06)]
    [InlineData(GgmlType.Q4_K, 0.12)]
    [InlineData(GgmlType.Q3_K, 0.25)]
    [InlineData(GgmlType.Q2_K, 0.45)]
    public void Dequantize_OfQuantizedGaussian_StaysWithinTypeBound(GgmlType type, double relativeRmsBound)
    {
        float[] x = TestData.Gaussian(4096, seed: 1);
        float[] back = TestData.Dequantize(type, TestData.Quantize(type, x), x.Length);
        double errorSquares = 0, signalSquares = 0;
        for (int i = 0; i < x.Length; i++)
        {
            errorSquares += (back[i] - x[i]) * (double)(back[i] - x[i]);
            signalSquares += x[i] * (double)x[i];
        }

        double relativeRms = Math.Sqrt(errorSquares / signalSquares);
        Assert.True(relativeRms <= relativeRmsBound, $"{type}: relative RMS error {relativeRms:G4} > {relativeRmsBound}");
    }

    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_1)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q5_1)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q2_K)]
    [InlineData(GgmlType.Q3_K)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.IQ4_NL)]
    [InlineData(GgmlType.IQ4_XS)]
    public void Quantize_AllZeroRow_DequantizesToZeros(GgmlType type)
    {
        float[] x = new float[512];
        float[] back = TestData.Dequantize(type, TestData.Quantize(type, x), x.Length);
        Assert.All(back, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Quantize_Q8_0KnownBlock_UsesRoundfOfXOverD()
    {
        // amax 127 → d = 1; 2.5 rounds away from zero to 3 (roundf), where the activation quantizer rounds to even (2).
        float[] x = new float[32];
        x[0] = 127f;
        x[1] = 2.5f;
        x[2] = -2.5f;
        byte[] weight = TestData.Quantize(GgmlType.Q8_0, x);
        byte[] activation = TestData.QuantizeActivation(GgmlType.Q8_0, x);
        Assert.Equal([127, 3, unchecked((byte)-3)], weight[2..5]);
        Assert.Equal([127, 2, unchecked((byte)-2)], activation[2..5]);
    }

    [Fact]
    public void Quantize_Q4_0KnownBlock_ScalesBySignedMaxOverMinus8()
    {
        // max = −8 → d = 1, id = 1: q = min(15, (int8)(x + 8.5)).
        float[] x = new float[32];
        x[0] = -8f;
        x[1] = 7f;
        x[16] = 3.4f;
        byte[] bytes = TestData.Quantize(GgmlType.Q4_0, x);
        Assert.Equal((Half)1f, BitConverter.ToHalf(bytes, 0));
        Assert.Equal(0x00 | (11 << 4), bytes[2]); // x0 = −8 → 0; x16 = 3.4 → 11
        Assert.Equal(15 | (8 << 4), bytes[3]);    // x1 = 7 → 15; x17 = 0 → 8
    }

    [Fact]
    public void NearestInt_Ties_RoundToEven()
    {
        Assert.Equal(2, QuantMath.NearestInt(2.5f));
        Assert.Equal(4, QuantMath.NearestInt(3.5f));
        Assert.Equal(-2, QuantMath.NearestInt(-2.5f));
        Assert.Equal(-127, QuantMath.NearestInt(-127.2f));
    }

    [Fact]
    public void QuantizeQ8_K_Block_BSumsAreSumsOfSixteenQuants()
    {
        float[] x = TestData.Gaussian(512, seed: 5);
        byte[] bytes = TestData.QuantizeActivation(GgmlType.Q8_K, x);
        for (int block = 0; block < 2; block++)
        {
            int offset = block * 292;
            for (int g = 0; g < 16; g++)
            {
                int sum = 0;
                for (int j = 0; j < 16; j++) sum += (sbyte)bytes[offset + 4 + g * 16 + j];
                Assert.Equal(sum, BitConverter.ToInt16(bytes, offset + 4 + 256 + g * 2));
            }
        }
    }
}
