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
        byte* mins = stackalloc byte[8];
        for (int i = 0; i < blocks; i++)
        {
            byte* x = weights + (long)i * WeightBlockBytes;
            byte* scales = x + 4;
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
                ScaleMin(2 * j, scales, out int scaleLow, out mins[2 * j]);
                ScaleMin(2 * j + 1, scales, out int scaleHigh, out mins[2 * j + 1]);
                Vector256<byte> bits = Vector256.Load(q4 + 32 * j);
                Vector256<byte> low = bits & lowMask;
                Vector256<byte> high = Vector256.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & lowMask;
                Vector256<short> sl = Vector256.Create((short)scaleLow), sh = Vector256.Create((short)scaleHigh);
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
            accMin0 += dmin * dy0 * MinSum((short*)(y0 + 260), mins);
            float dy1 = *(float*)y1;
            acc1 = Fma.MultiplyAdd(Vector256.Create(d * dy1), Avx.ConvertToVector256Single(sumi1), acc1);
            accMin1 += dmin * dy1 * MinSum((short*)(y1 + 260), mins);
            float dy2 = *(float*)y2;
            acc2 = Fma.MultiplyAdd(Vector256.Create(d * dy2), Avx.ConvertToVector256Single(sumi2), acc2);
            accMin2 += dmin * dy2 * MinSum((short*)(y2 + 260), mins);
            float dy3 = *(float*)y3;
            acc3 = Fma.MultiplyAdd(Vector256.Create(d * dy3), Avx.ConvertToVector256Single(sumi3), acc3);
            accMin3 += dmin * dy3 * MinSum((short*)(y3 + 260), mins);
        }
        output[0 * outputStride] = SimdOps.HorizontalSum(acc0) - accMin0;
        output[1 * outputStride] = SimdOps.HorizontalSum(acc1) - accMin1;
        output[2 * outputStride] = SimdOps.HorizontalSum(acc2) - accMin2;
        output[3 * outputStride] = SimdOps.HorizontalSum(acc3) - accMin3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MinSum(short* bsums, byte* mins)
    {
        int sum = 0;
        for (int j = 0; j < 4; j++)
            sum += (bsums[4 * j] + bsums[4 * j + 1]) * mins[2 * j] + (bsums[4 * j + 2] + bsums[4 * j + 3]) * mins[2 * j + 1];
        return sum;
    }

    /// <summary>ggml's <c>get_scale_min_k4</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleMin(int j, byte* q, out int scale, out byte min)
    {
        if (j < 4)
        {
            scale = q[j] & 63;
            min = (byte)(q[j + 4] & 63);
        }
        else
        {
            scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            min = (byte)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
        }
    }
}
