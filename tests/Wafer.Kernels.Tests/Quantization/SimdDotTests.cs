using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels;
using Wafer.Kernels.Quantization;
using Xunit;

namespace Wafer.Kernels.Tests.Quantization;

public class SimdDotTests
{
    // |SIMD − scalar| ≤ this × Σ|wᵢ·aᵢ|: the integer block sums agree exactly, so only F32 accumulation order differs.
    private const double AccumulationOrderTolerance = 1e-5;

    private delegate float ByteDot(ReadOnlySpan<byte> w, ReadOnlySpan<byte> a, int count);

    public static TheoryData<int> BlockCounts => [1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 33, 64];

    public static TheoryData<int> ElementCounts => [0, 1, 2, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 100, 255, 256, 257, 1000, 4099];

    [Theory]
    [MemberData(nameof(BlockCounts))]
    public void DotAvx2_Q8_0_MatchesScalar(int blockCount)
    {
        Assert.SkipUnless(Avx2.IsSupported && Fma.IsSupported, "needs AVX2 and FMA");
        Compare(GgmlType.Q8_0, blockCount, (w, a, n) => Q8_0Kernels.DotAvx2(w, a, n, useVnni: false), Q8_0Kernels.DotScalar);
        if (AvxVnni.IsSupported)
        {
            Compare(GgmlType.Q8_0, blockCount, (w, a, n) => Q8_0Kernels.DotAvx2(w, a, n, useVnni: true), Q8_0Kernels.DotScalar);
        }
    }

    [Theory]
    [MemberData(nameof(BlockCounts))]
    public void DotAvx2_Q4_0_MatchesScalar(int blockCount)
    {
        Assert.SkipUnless(Avx2.IsSupported && Fma.IsSupported, "needs AVX2 and FMA");
        Compare(GgmlType.Q4_0, blockCount, (w, a, n) => Q4_0Kernels.DotAvx2(w, a, n, useVnni: false), Q4_0Kernels.DotScalar);
        if (AvxVnni.IsSupported)
        {
            Compare(GgmlType.Q4_0, blockCount, (w, a, n) => Q4_0Kernels.DotAvx2(w, a, n, useVnni: true), Q4_0Kernels.DotScalar);
        }
    }

    [Theory]
    [MemberData(nameof(BlockCounts))]
    public void DotAvx2_Q4_1_MatchesScalar(int blockCount)
    {
        Assert.SkipUnless(Avx2.IsSupported && Fma.IsSupported, "needs AVX2 and FMA");
        Compare(GgmlType.Q4_1, blockCount, Q4_1Kernels.DotAvx2, Q4_1Kernels.DotScalar);
    }

    [Theory]
    [MemberData(nameof(BlockCounts))]
    public void DotAvx2_Q4_K_MatchesScalar(int blockCount)
    {
        Assert.SkipUnless(Avx2.IsSupported && Fma.IsSupported, "needs AVX2 and FMA");
        Compare(GgmlType.Q4_K, blockCount, Q4KKernels.DotAvx2, Q4KKernels.DotScalar);
    }

    [Theory]
    [MemberData(nameof(BlockCounts))]
    public void DotAvx2_Q6_K_MatchesScalar(int blockCount)
    {
        Assert.SkipUnless(Avx2.IsSupported && Fma.IsSupported, "needs AVX2 and FMA");
        Compare(GgmlType.Q6_K, blockCount, Q6KKernels.DotAvx2, Q6KKernels.DotScalar);
    }

    [Theory]
    [MemberData(nameof(ElementCounts))]
    public void DotAvx2_F32_MatchesScalar(int count)
    {
        Assert.SkipUnless(Avx2.IsSupported && Fma.IsSupported, "needs AVX2 and FMA");
        float[] w = TestData.Gaussian(count, seed: count + 1);
        float[] a = TestData.Gaussian(count, seed: count + 2);
        AssertClose(F32Kernels.DotAvx2(w, a), F32Kernels.DotScalar(w, a), TestData.AbsoluteDotMass(w, a));
    }

    [Theory]
    [MemberData(nameof(ElementCounts))]
    public void DotAvx2_F16_MatchesScalar(int count)
    {
        Assert.SkipUnless(Avx2.IsSupported && Fma.IsSupported, "needs AVX2 and FMA");
        (ushort[] w, ushort[] a, double mass) = Rows(GgmlType.F16, count);
        AssertClose(F16Kernels.DotAvx2(w, a), F16Kernels.DotScalar(w, a), mass);
    }

    [Theory]
    [MemberData(nameof(ElementCounts))]
    public void DotAvx2_BF16_MatchesScalar(int count)
    {
        Assert.SkipUnless(Avx2.IsSupported && Fma.IsSupported, "needs AVX2 and FMA");
        (ushort[] w, ushort[] a, double mass) = Rows(GgmlType.BF16, count);
        AssertClose(BF16Kernels.DotAvx2(w, a), BF16Kernels.DotScalar(w, a), mass);
    }

    [Theory]
    [MemberData(nameof(BlockCounts))]
    public void QuantizeActivationAvx2_Q8_0_SameBytesAsScalar(int blockCount)
    {
        Assert.SkipUnless(Avx2.IsSupported, "needs AVX2");
        float[] x = TestData.Gaussian(32 * blockCount, seed: blockCount);
        for (int i = 0; i < x.Length; i++) x[i] *= MathF.Pow(10, i / 32 % 5 - 2); // blocks of very different magnitude
        Array.Clear(x, 0, Math.Min(32, x.Length - 32));                         // an all-zero block (id = 0) unless only one block
        if (blockCount > 2)
        {
            for (int j = 0; j < 32; j++) x[64 + j] = j - 15.5f;                  // x·id lands on exact halves: ties to even
            x[64 + 31] = 127;
        }
        var simd = new byte[34 * blockCount];
        var scalar = new byte[34 * blockCount];

        Q8_0Kernels.QuantizeActivationAvx2(x, simd);
        Q8_0Kernels.QuantizeActivationScalar(x, scalar);

        Assert.Equal(scalar, simd);
    }

    private static (ushort[] W, ushort[] A, double Mass) Rows(GgmlType type, int count)
    {
        float[] w = TestData.Gaussian(count, seed: count + 3);
        float[] a = TestData.Gaussian(count, seed: count + 4);
        byte[] wq = TestData.Quantize(type, w);
        byte[] aq = TestData.Quantize(type, a);
        double mass = TestData.AbsoluteDotMass(TestData.Dequantize(type, wq, count), TestData.Dequantize(type, aq, count));
        return (MemoryMarshal.Cast<byte, ushort>(wq).ToArray(), MemoryMarshal.Cast<byte, ushort>(aq).ToArray(), mass);
    }

    private static void Compare(GgmlType type, int blockCount, ByteDot simd, ByteDot scalar)
    {
        ITensorTypeKernels kernels = TensorTypes.Get(type);
        int count = blockCount * kernels.BlockSize;
        float[] w = TestData.Gaussian(count, seed: 100 + blockCount);
        float[] a = TestData.Gaussian(count, seed: 200 + blockCount, scale: 2f);
        byte[] wq = TestData.Quantize(type, w);
        byte[] aq = TestData.QuantizeActivation(kernels.ActivationType, a);
        double mass = TestData.AbsoluteDotMass(
            TestData.Dequantize(type, wq, count), TestData.Dequantize(kernels.ActivationType, aq, count));
        AssertClose(simd(wq, aq, count), scalar(wq, aq, count), mass);
    }

    private static void AssertClose(float simd, float scalar, double mass)
    {
        double tolerance = AccumulationOrderTolerance * mass + 1e-30;
        Assert.True(Math.Abs(simd - scalar) <= tolerance, $"SIMD {simd} vs scalar {scalar} (tolerance {tolerance:G3})");
    }
}
