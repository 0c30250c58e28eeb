using Wafer.Kernels.Ops;

namespace Wafer.Kernels.Tests.Ops;

/// <summary>The KV cache's row widening against its scalar twins: every F16 bit pattern, Q8_0 blocks of random rows.</summary>
public class KvRowCodecTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HalfToSingle_EveryF16Value_SameBitsAsTheScalarTwin(bool wide)
    {
        Assert.SkipWhen(wide && !KvRowCodec.WideHalves, "no AVX-512F with accelerated 512-bit vectors here: the 512-bit loop is not used");
        var all = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        var simd = new float[all.Length];
        var scalar = new float[all.Length];
        KvRowCodec.HalfToSingle(all, simd, wide);
        KvRowCodec.HalfToSingleScalar(all, scalar);
        for (int i = 0; i < all.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(simd[i]) == BitConverter.SingleToInt32Bits(scalar[i]) || (float.IsNaN(simd[i]) && float.IsNaN(scalar[i])),
                $"0x{i:X4}: {simd[i]} vs {scalar[i]}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(31)]
    [InlineData(64)]
    [InlineData(133)]
    public void HalfToSingle_AnyLength_RoundTripsWhatSingleToHalfWrote(int length)
    {
        var random = new Random(length);
        var values = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 20 - 10)).ToArray();
        var halves = new ushort[length];
        var back = new float[length];
        KvRowCodec.SingleToHalf(values, halves);
        KvRowCodec.HalfToSingle(halves, back);
        for (int i = 0; i < length; i++) Assert.Equal((float)(Half)values[i], back[i]);
    }

    [Theory]
    [InlineData(1, 64, 64, true)]
    [InlineData(7, 64, 192, true)]
    [InlineData(7, 64, 192, false)]
    [InlineData(3, 24, 40, true)]
    [InlineData(5, 8, 8, true)]
    [InlineData(4, 13, 20, false)]
    public void HalfRowsToSingle_StridedRuns_SameAsEachRowAlone(int rows, int width, int stride, bool wide)
    {
        var random = new Random(rows * width);
        var source = Enumerable.Range(0, (rows - 1) * stride + width).Select(_ => (ushort)random.Next(65536)).ToArray();
        var run = new float[rows * width];
        KvRowCodec.HalfRowsToSingle(source, stride, rows, run, wide);
        var one = new float[width];
        for (int r = 0; r < rows; r++)
        {
            KvRowCodec.HalfToSingleScalar(source.AsSpan(r * stride, width), one);
            for (int i = 0; i < width; i++)
                Assert.True(BitConverter.SingleToInt32Bits(run[r * width + i]) == BitConverter.SingleToInt32Bits(one[i]) || (float.IsNaN(one[i]) && float.IsNaN(run[r * width + i])), $"row {r}, value {i}");
        }
        Assert.Throws<ArgumentException>(() => KvRowCodec.HalfRowsToSingle(source.AsSpan(1), stride, rows, run));
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(128)]
    [InlineData(4096)]
    public void Q8_0ToSingle_RandomRows_SameAsTheScalarTwin_CloseToTheInput(int length)
    {
        var random = new Random(length);
        var values = Enumerable.Range(0, length).Select(i => (float)((random.NextDouble() * 2 - 1) * (1 + i % 7))).ToArray();
        values[3] = 0;
        var blocks = new byte[length / 32 * 34];
        KvRowCodec.SingleToQ8_0(values, blocks);
        var simd = new float[length];
        var scalar = new float[length];
        KvRowCodec.Q8_0ToSingle(blocks, simd);
        KvRowCodec.Q8_0ToSingleScalar(blocks, scalar);
        Assert.Equal(scalar, simd);
        for (int b = 0; b < length / 32; b++)
        {
            // Half a step from rounding q, plus up to 127 steps times the F16 rounding of the scale (2^-11 relative).
            float step = values.Skip(b * 32).Take(32).Max(MathF.Abs) / 127;
            for (int i = b * 32; i < b * 32 + 32; i++) Assert.InRange(Math.Abs(simd[i] - values[i]), 0, step * (0.5f + 127f / 2048) + 1e-6f);
        }
    }

    [Fact]
    public void Q8_0ToSingle_NotWholeBlocks_Refused() =>
        Assert.Throws<ArgumentException>(() => KvRowCodec.Q8_0ToSingle(new byte[34], new float[31]));
}
