using Wafer.Kernels;
using Wafer.Kernels.Quantization;
using Xunit;

namespace Wafer.Kernels.Tests.Quantization;

public class FloatConversionTests
{
    [Theory]
    [InlineData(0x3F800000u, (ushort)0x3F80)] // 1.0 exact
    [InlineData(0x3F808000u, (ushort)0x3F80)] // halfway, even below: stays
    [InlineData(0x3F818000u, (ushort)0x3F82)] // halfway, odd below: rounds up to even
    [InlineData(0x3F808001u, (ushort)0x3F81)] // just above halfway: rounds up
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)] // max float rounds to infinity
    [InlineData(0xFF800000u, (ushort)0xFF80)] // −infinity
    [InlineData(0x7FC00001u, (ushort)0x7FC0)] // quiet NaN keeps upper bits
    [InlineData(0x7F800001u, (ushort)0x7FC0)] // signalling NaN with low payload becomes quiet, not infinity
    [InlineData(0x80000000u, (ushort)0x8000)] // −0
    public void FromSingle_EdgeCases_MatchGgmlFp32ToBf16(uint floatBits, ushort expected)
    {
        Assert.Equal(expected, BF16Conversion.FromSingle(BitConverter.UInt32BitsToSingle(floatBits)));
    }

    [Fact]
    public void ToSingle_EveryBf16Value_RoundTripsExceptNan()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float value = BF16Conversion.ToSingle((ushort)bits);
            if (!float.IsNaN(value))
            {
                Assert.Equal((ushort)bits, BF16Conversion.FromSingle(value));
            }
        }
    }

    [Fact]
    public void F16Quantize_HalfwayCases_RoundToNearestEven()
    {
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to 1 (even); 1 + 3·2^-11 ties to 1 + 2^-9.
        float[] values = [1f + MathF.Pow(2, -11), 1f + 3 * MathF.Pow(2, -11), 65520f];
        byte[] bytes = TestData.Quantize(GgmlType.F16, values);
        float[] back = TestData.Dequantize(GgmlType.F16, bytes, values.Length);
        Assert.Equal(1f, back[0]);
        Assert.Equal(1f + MathF.Pow(2, -9), back[1]);
        Assert.True(float.IsPositiveInfinity(back[2]));
    }

    [Fact]
    public void HalfToSingle_EveryHalfValue_MatchesSystemHalfBitForBit()
    {
        var halves = new ushort[65536];
        for (int i = 0; i < halves.Length; i++) halves[i] = (ushort)i;
        for (int i = 0; i < halves.Length; i += 8)
        {
            var widened = SimdOps.HalfToSingle(System.Runtime.Intrinsics.Vector128.Create(halves.AsSpan(i, 8)));
            for (int j = 0; j < 8; j++)
            {
                float expected = (float)BitConverter.UInt16BitsToHalf(halves[i + j]);
                if (float.IsNaN(expected))
                {
                    Assert.True(float.IsNaN(widened[j]));
                    continue;
                }

                Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(widened[j]));
            }
        }
    }
}
