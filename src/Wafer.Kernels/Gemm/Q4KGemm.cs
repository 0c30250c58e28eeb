using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Gemm;

/// <summary>Q4_K weight rows × 4 Q8_K activation rows at once (AVX2): each super-block's nibbles and 6-bit scales are unpacked once for four activations.</summary>
/// <remarks>
/// Per (row, activation) pair the arithmetic is exactly <see cref="Q4KKernels.DotAvx2"/>'s (same integer sums, same F32 operations
/// in the same order), so results equal the one-pair dot bit for bit. Layouts: block_q4_K = d, dmin (F16), scales[12], qs[128]
/// (144 bytes); block_q8_K = d (F32), qs[256], bsums[16] (292 bytes).
/// </remarks>
internal static unsafe class Q4KGemm
{
    private const int WeightBlockBytes = 144;
    private const int ActivationBlockBytes = 292;

    /// <summary>True where <see cref="Tile1x4"/> may run.</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>output[b·outputStride] = row · activation b for b = 0..3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x4(byte* weights, byte* activations, long activationRowBytes, int blocks, float* output, long outputStride)
    {
        Vector256<byte> lowMask = Vector256.Create((byte)0xF);
        Vector256<float> acc0 = Vector256<float>.Zero;
        float accMin0 = 0;
        byte* a0 = activations + 0 * activationRowBytes;
        Vector256<float> acc1 = Vector256<float>.Zero;
        float accMin1 = 0;
        byte* a1 = activations + 1 * activationRowBytes;
        Vector256<float> acc2 = Vector256<float>.Zero;
        float accMin2 = 0;
        byte* a2 = activations + 2 * activationRowBytes;
        Vector256<float> acc3 = Vector256<float>.Zero;
        float accMin3 = 0;
        byte* a3 = activations + 3 * activationRowBytes;
        for (int i = 0; i < blocks; i++)
        {
            byte* x = weights + (long)i * WeightBlockBytes;
            ScalesAndMins(x, out ulong scales, out ulong mins);
            byte* q4 = x + 16;
            byte* y0 = a0 + (long)i * ActivationBlockBytes;
            Vector256<int> sumi0 = Vector256<int>.Zero;
            byte* y1 = a1 + (long)i * ActivationBlockBytes;
            Vector256<int> sumi1 = Vector256<int>.Zero;
            byte* y2 = a2 + (long)i * ActivationBlockBytes;
            Vector256<int> sumi2 = Vector256<int>.Zero;
            byte* y3 = a3 + (long)i * ActivationBlockBytes;
            Vector256<int> sumi3 = Vector256<int>.Zero;
            for (int j = 0; j < 4; j++)
            {
                Vector256<byte> bits = Vector256.Load(q4 + 32 * j);
                Vector256<byte> low = bits & lowMask;
                Vector256<byte> high = Vector256.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & lowMask;
                Vector256<short> sl = Vector256.Create((short)(byte)(scales >> (16 * j))), sh = Vector256.Create((short)(byte)(scales >> (16 * j + 8)));
                sumi0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(low, Vector256.Load((sbyte*)(y0 + 4 + 64 * j))), sl);
                sumi0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(high, Vector256.Load((sbyte*)(y0 + 4 + 64 * j + 32))), sh);
                sumi1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(low, Vector256.Load((sbyte*)(y1 + 4 + 64 * j))), sl);
                sumi1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(high, Vector256.Load((sbyte*)(y1 + 4 + 64 * j + 32))), sh);
                sumi2 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(low, Vector256.Load((sbyte*)(y2 + 4 + 64 * j))), sl);
                sumi2 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(high, Vector256.Load((sbyte*)(y2 + 4 + 64 * j + 32))), sh);
                sumi3 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(low, Vector256.Load((sbyte*)(y3 + 4 + 64 * j))), sl);
                sumi3 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(high, Vector256.Load((sbyte*)(y3 + 4 + 64 * j + 32))), sh);
            }
            float d = HalfTable.ToSingle(x), dmin = HalfTable.ToSingle(x + 2);
            float dy0 = *(float*)y0;
            acc0 = Fma.MultiplyAdd(Vector256.Create(d * dy0), Avx.ConvertToVector256Single(sumi0), acc0);
            accMin0 += dmin * dy0 * MinSum(y0, mins);
            float dy1 = *(float*)y1;
            acc1 = Fma.MultiplyAdd(Vector256.Create(d * dy1), Avx.ConvertToVector256Single(sumi1), acc1);
            accMin1 += dmin * dy1 * MinSum(y1, mins);
            float dy2 = *(float*)y2;
            acc2 = Fma.MultiplyAdd(Vector256.Create(d * dy2), Avx.ConvertToVector256Single(sumi2), acc2);
            accMin2 += dmin * dy2 * MinSum(y2, mins);
            float dy3 = *(float*)y3;
            acc3 = Fma.MultiplyAdd(Vector256.Create(d * dy3), Avx.ConvertToVector256Single(sumi3), acc3);
            accMin3 += dmin * dy3 * MinSum(y3, mins);
        }
        output[0 * outputStride] = SimdOps.HorizontalSum(acc0) - accMin0;
        output[1 * outputStride] = SimdOps.HorizontalSum(acc1) - accMin1;
        output[2 * outputStride] = SimdOps.HorizontalSum(acc2) - accMin2;
        output[3 * outputStride] = SimdOps.HorizontalSum(acc3) - accMin3;
    }

    /// <summary>One row · one activation, with the arithmetic of <see cref="Q4KKernels.DotAvx2"/> (bit-identical); asks for the
    /// weights <paramref name="prefetchAhead"/> bytes further on as it goes, so a row-by-row sweep streams at memory speed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot1x1(byte* weights, byte* activation, int blocks, long prefetchAhead)
    {
        Vector256<byte> lowMask = Vector256.Create((byte)0xF);
        Vector256<float> acc = Vector256<float>.Zero;
        float accMin = 0;
        for (int i = 0; i < blocks; i++)
        {
            byte* x = weights + (long)i * WeightBlockBytes;
            Sse.Prefetch0(x + prefetchAhead);
            Sse.Prefetch0(x + prefetchAhead + 64);
            Sse.Prefetch0(x + prefetchAhead + 128);
            byte* q4 = x + 16;
            byte* y = activation + (long)i * ActivationBlockBytes;
            ScalesAndMins(x, out ulong scales, out ulong mins);
            Vector256<int> sumi = Vector256<int>.Zero;
            for (int j = 0; j < 4; j++)
            {
                Vector256<byte> bits = Vector256.Load(q4 + 32 * j);
                Vector256<byte> low = bits & lowMask;
                Vector256<byte> high = Vector256.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & lowMask;
                var scaleLow = Vector256.Create((short)(byte)(scales >> (16 * j)));
                var scaleHigh = Vector256.Create((short)(byte)(scales >> (16 * j + 8)));
                sumi += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(low, Vector256.Load((sbyte*)(y + 4 + 64 * j))), scaleLow);
                sumi += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(high, Vector256.Load((sbyte*)(y + 4 + 64 * j + 32))), scaleHigh);
            }
            int minSum = MinSum(y, mins);
            float d = HalfTable.ToSingle(x), dmin = HalfTable.ToSingle(x + 2);
            float dy = *(float*)y;
            acc = Fma.MultiplyAdd(Vector256.Create(d * dy), Avx.ConvertToVector256Single(sumi), acc);
            accMin += dmin * dy * minSum;
        }
        return SimdOps.HorizontalSum(acc) - accMin;
    }

    /// <summary>The 8 six-bit scales and 8 mins of a block_q4_K, one per byte (ggml's get_scale_min_k4, four at a time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScalesAndMins(byte* block, out ulong scales, out ulong mins)
    {
        uint u0 = *(uint*)(block + 4), u1 = *(uint*)(block + 8), u2 = *(uint*)(block + 12);
        scales = (u0 & 0x3F3F3F3Fu) | ((ulong)((u2 & 0x0F0F0F0Fu) | (((u0 >> 6) & 0x03030303u) << 4)) << 32);
        mins = (u1 & 0x3F3F3F3Fu) | ((ulong)(((u2 >> 4) & 0x0F0F0F0Fu) | (((u1 >> 6) & 0x03030303u) << 4)) << 32);
    }

    /// <summary>Σ_j mins[j] · (bsums[2j] + bsums[2j+1]) of one block_q8_K: exact in int32, so equal to the scalar order's sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MinSum(byte* activationBlock, ulong mins)
    {
        Vector128<short> pairSums = Ssse3.HorizontalAdd(Vector128.Load((short*)(activationBlock + 260)), Vector128.Load((short*)(activationBlock + 276)));
        Vector128<short> mins16 = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(mins).AsByte());
        return Vector128.Sum(Sse2.MultiplyAddAdjacent(pairSums, mins16));
    }
}
