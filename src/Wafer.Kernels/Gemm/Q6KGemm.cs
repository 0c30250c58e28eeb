using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Gemm;

/// <summary>Q6_K weight rows · Q8_K activation rows on raw pointers (AVX2), with software prefetch for row-by-row sweeps.</summary>
/// <remarks>
/// The integer sums and F32 operations are <see cref="Q6KKernels.DotAvx2"/>'s, in the same order, so the result is bit-identical;
/// only the loads differ (no span bounds, no defensive struct copies, the F16 scale from <see cref="HalfTable"/>). Layouts:
/// block_q6_K = ql[128], qh[64], scales[16] (int8), d (F16) — 210 bytes; block_q8_K = d (F32), qs[256], bsums[16] — 292 bytes.
/// </remarks>
internal static unsafe class Q6KGemm
{
    private const int WeightBlockBytes = 210;
    private const int ActivationBlockBytes = 292;

    /// <summary>True where <see cref="Dot1x1"/> and <see cref="Tile1x4"/> may run.</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>One row · one activation; asks for the weights <paramref name="prefetchAhead"/> bytes further on as it goes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot1x1(byte* weights, byte* activation, int blocks, long prefetchAhead)
    {
        Vector256<byte> m4 = Vector256.Create((byte)0xF);
        Vector256<byte> m2 = Vector256.Create((byte)3);
        Vector256<byte> m32 = Vector256.Create((byte)32);
        Vector256<float> acc = Vector256<float>.Zero;
        for (int i = 0; i < blocks; i++)
        {
            byte* x = weights + (long)i * WeightBlockBytes;
            Sse.Prefetch0(x + prefetchAhead);
            Sse.Prefetch0(x + prefetchAhead + 64);
            Sse.Prefetch0(x + prefetchAhead + 128);
            Sse.Prefetch0(x + prefetchAhead + 192);
            byte* ql = x, qh = x + 128;
            sbyte* scales = (sbyte*)(x + 192);
            sbyte* q8 = (sbyte*)(activation + (long)i * ActivationBlockBytes + 4);
            Vector256<int> sumi = Vector256<int>.Zero;
            for (int j = 0; j < 2; j++)
            {
                Vector256<byte> ql0 = Vector256.Load(ql + 64 * j);
                Vector256<byte> ql1 = Vector256.Load(ql + 64 * j + 32);
                Vector256<ushort> h = Vector256.Load(qh + 32 * j).AsUInt16();
                // Unrolled so each part's shifts are constants.
                sumi += Scaled(Quants(ql0, ql1, h, 0, m4, m2), Vector256.Load(q8 + 128 * j), Scale(scales, 8 * j), m32);
                sumi += Scaled(Quants(ql0, ql1, h, 1, m4, m2), Vector256.Load(q8 + 128 * j + 32), Scale(scales, 8 * j + 2), m32);
                sumi += Scaled(Quants(ql0, ql1, h, 2, m4, m2), Vector256.Load(q8 + 128 * j + 64), Scale(scales, 8 * j + 4), m32);
                sumi += Scaled(Quants(ql0, ql1, h, 3, m4, m2), Vector256.Load(q8 + 128 * j + 96), Scale(scales, 8 * j + 6), m32);
            }
            float dy = *(float*)(activation + (long)i * ActivationBlockBytes);
            acc = Fma.MultiplyAdd(Vector256.Create(HalfTable.ToSingle(x + 208) * dy), Avx.ConvertToVector256Single(sumi), acc);
        }
        return SimdOps.HorizontalSum(acc);
    }

    /// <summary>One row · 4 activations: each super-block's 6-bit quants are unpacked once for all four; output[b·outputStride] = row · activation b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x4(byte* weights, byte* activations, long activationRowBytes, int blocks, float* output, long outputStride)
    {
        Vector256<byte> m4 = Vector256.Create((byte)0xF);
        Vector256<byte> m2 = Vector256.Create((byte)3);
        Vector256<byte> m32 = Vector256.Create((byte)32);
        Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero, acc2 = Vector256<float>.Zero, acc3 = Vector256<float>.Zero;
        for (int i = 0; i < blocks; i++)
        {
            byte* x = weights + (long)i * WeightBlockBytes;
            byte* ql = x, qh = x + 128;
            sbyte* scales = (sbyte*)(x + 192);
            byte* y0 = activations + (long)i * ActivationBlockBytes;
            byte* y1 = y0 + activationRowBytes, y2 = y0 + 2 * activationRowBytes, y3 = y0 + 3 * activationRowBytes;
            Vector256<int> sumi0 = Vector256<int>.Zero, sumi1 = Vector256<int>.Zero, sumi2 = Vector256<int>.Zero, sumi3 = Vector256<int>.Zero;
            for (int j = 0; j < 2; j++)
            {
                Vector256<byte> ql0 = Vector256.Load(ql + 64 * j);
                Vector256<byte> ql1 = Vector256.Load(ql + 64 * j + 32);
                Vector256<ushort> h = Vector256.Load(qh + 32 * j).AsUInt16();
                for (int part = 0; part < 4; part++)
                {
                    Vector256<byte> q = Quants(ql0, ql1, h, part, m4, m2);
                    Vector256<short> scale = Scale(scales, 8 * j + 2 * part);
                    int at = 4 + 128 * j + 32 * part;
                    sumi0 += Scaled(q, Vector256.Load((sbyte*)(y0 + at)), scale, m32);
                    sumi1 += Scaled(q, Vector256.Load((sbyte*)(y1 + at)), scale, m32);
                    sumi2 += Scaled(q, Vector256.Load((sbyte*)(y2 + at)), scale, m32);
                    sumi3 += Scaled(q, Vector256.Load((sbyte*)(y3 + at)), scale, m32);
                }
            }
            float d = HalfTable.ToSingle(x + 208);
            acc0 = Fma.MultiplyAdd(Vector256.Create(d * *(float*)y0), Avx.ConvertToVector256Single(sumi0), acc0);
            acc1 = Fma.MultiplyAdd(Vector256.Create(d * *(float*)y1), Avx.ConvertToVector256Single(sumi1), acc1);
            acc2 = Fma.MultiplyAdd(Vector256.Create(d * *(float*)y2), Avx.ConvertToVector256Single(sumi2), acc2);
            acc3 = Fma.MultiplyAdd(Vector256.Create(d * *(float*)y3), Avx.ConvertToVector256Single(sumi3), acc3);
        }
        output[0] = SimdOps.HorizontalSum(acc0);
        output[outputStride] = SimdOps.HorizontalSum(acc1);
        output[2 * outputStride] = SimdOps.HorizontalSum(acc2);
        output[3 * outputStride] = SimdOps.HorizontalSum(acc3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Scaled(Vector256<byte> q, Vector256<sbyte> q8, Vector256<short> scale, Vector256<byte> m32) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q, q8) - Avx2.MultiplyAddAdjacent(m32, q8), scale);

    // Quants 32·part … 32·part + 31 of a 128-element half (0..63): low or high nibbles of ql0/ql1 with two bits of qh.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Quants(Vector256<byte> ql0, Vector256<byte> ql1, Vector256<ushort> h, int part, Vector256<byte> m4, Vector256<byte> m2)
    {
        Vector256<byte> low = part switch
        {
            0 => ql0 & m4,
            1 => ql1 & m4,
            2 => Vector256.ShiftRightLogical(ql0.AsUInt16(), 4).AsByte() & m4,
            _ => Vector256.ShiftRightLogical(ql1.AsUInt16(), 4).AsByte() & m4,
        };
        return low | Vector256.ShiftLeft((Vector256.ShiftRightLogical(h, 2 * part).AsByte() & m2).AsUInt16(), 4).AsByte();
    }

    // The int8 scales of the two 16-quant halves of a 32-quant group, as 16-bit lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Scale(sbyte* scales, int index) =>
        Vector256.Create(Vector128.Create((short)scales[index]), Vector128.Create((short)scales[index + 1]));
}
