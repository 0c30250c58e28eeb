using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>Q6_K: 256 6-bit quants in 16 groups of 16, each with a signed 8-bit scale (x = d·sc·(q − 32)).</summary>
public static class Q6KKernels
{
    private const int Qk = QuantMath.SuperBlockSize;

    /// <summary>Mirrors <c>dequantize_row_q6_K</c>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int nb = QuantMath.BlockCount(destination.Length, Qk);
        QuantMath.RequireBytes(source.Length, (long)nb * BlockQ6K.ByteCount, nameof(source));
        ReadOnlySpan<BlockQ6K> x = MemoryMarshal.Cast<byte, BlockQ6K>(source);
        for (int i = 0; i < nb; i++)
        {
            ref readonly BlockQ6K b = ref x[i];
            float d = (float)b.D;
            for (int n = 0, ql = 0, qh = 0, sc = 0; n < Qk; n += 128, ql += 64, qh += 32, sc += 8)
            {
                Span<float> y = destination.Slice(i * Qk + n, 128);
                for (int l = 0; l < 32; ++l)
                {
                    int scaleIndex = sc + l / 16;
                    int q1 = ((b.QL[ql + l] & 0xF) | (((b.QH[qh + l] >> 0) & 3) << 4)) - 32;
                    int q2 = ((b.QL[ql + l + 32] & 0xF) | (((b.QH[qh + l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((b.QL[ql + l] >> 4) | (((b.QH[qh + l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((b.QL[ql + l + 32] >> 4) | (((b.QH[qh + l] >> 6) & 3) << 4)) - 32;
                    y[l] = d * b.Scales[scaleIndex] * q1;
                    y[l + 32] = d * b.Scales[scaleIndex + 2] * q2;
                    y[l + 64] = d * b.Scales[scaleIndex + 4] * q3;
                    y[l + 96] = d * b.Scales[scaleIndex + 6] * q4;
                }
            }
        }
    }

    /// <summary>Mirrors <c>quantize_row_q6_K_ref</c> (make_qx_quants per 16 with rmse_type 1, 8-bit scales).</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockQ6K.ByteCount, nameof(destination));
        Span<BlockQ6K> y = MemoryMarshal.Cast<byte, BlockQ6K>(destination);
        Span<sbyte> levels = stackalloc sbyte[Qk];
        Span<float> scales = stackalloc float[Qk / 16];
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = source.Slice(i * Qk, Qk);
            ref BlockQ6K b = ref y[i];
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int ib = 0; ib < Qk / 16; ++ib)
            {
                float scale = KQuantSolvers.MakeQxQuants(16, 32, x.Slice(16 * ib, 16), levels.Slice(16 * ib, 16), 1, []);
                scales[ib] = scale;
                float absScale = MathF.Abs(scale);
                if (absScale > maxAbsScale)
                {
                    maxAbsScale = absScale;
                    maxScale = scale;
                }
            }

            if (maxAbsScale < QuantMath.GroupMaxEps)
            {
                MemoryMarshal.AsBytes(y.Slice(i, 1)).Clear();
                continue;
            }

            float iscale = -128.0f / maxScale;
            b.D = (Half)(1 / iscale);
            for (int ib = 0; ib < Qk / 16; ++ib)
            {
                b.Scales[ib] = (sbyte)Math.Min(127, QuantMath.NearestInt(iscale * scales[ib]));
            }

            for (int j = 0; j < Qk / 16; ++j)
            {
                float d = (float)b.D * b.Scales[j];
                if (d == 0)
                {
                    continue;
                }

                for (int ii = 0; ii < 16; ++ii)
                {
                    int l = QuantMath.NearestInt(x[16 * j + ii] / d);
                    l = Math.Max(-32, Math.Min(31, l));
                    levels[16 * j + ii] = (sbyte)(l + 32);
                }
            }

            for (int j = 0, ql = 0, qh = 0; j < Qk; j += 128, ql += 64, qh += 32)
            {
                for (int l = 0; l < 32; ++l)
                {
                    int l0 = (byte)levels[j + l], l1 = (byte)levels[j + l + 32], l2 = (byte)levels[j + l + 64], l3 = (byte)levels[j + l + 96];
                    b.QL[ql + l] = (byte)((l0 & 0xF) | ((l2 & 0xF) << 4));
                    b.QL[ql + l + 32] = (byte)((l1 & 0xF) | ((l3 & 0xF) << 4));
                    b.QH[qh + l] = (byte)((l0 >> 4) | ((l1 >> 4) << 2) | ((l2 >> 4) << 4) | ((l3 >> 4) << 6));
                }
            }
        }
    }

    /// <summary>Q6_K · Q8_K over <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) =>
        SimdOps.Avx2Fma ? DotAvx2(weights, activations, count) : DotScalar(weights, activations, count);

    /// <summary>Mirrors <c>ggml_vec_dot_q6_K_q8_K_generic</c> (8 lane accumulators, as written there).</summary>
    internal static float DotScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = CheckedBlocks(weights, activations, count);
        ReadOnlySpan<BlockQ6K> x = MemoryMarshal.Cast<byte, BlockQ6K>(weights);
        ReadOnlySpan<BlockQ8K> y = MemoryMarshal.Cast<byte, BlockQ8K>(activations);
        Span<sbyte> aux8 = stackalloc sbyte[Qk];
        Span<float> sums = stackalloc float[8];
        Span<int> aux32 = stackalloc int[8];
        sums.Clear();
        for (int i = 0; i < nb; ++i)
        {
            ref readonly BlockQ6K bx = ref x[i];
            ref readonly BlockQ8K by = ref y[i];
            aux32.Clear();
            for (int j = 0, a = 0, q4 = 0, qh = 0; j < Qk; j += 128, a += 128, q4 += 64, qh += 32)
            {
                for (int l = 0; l < 32; ++l)
                {
                    aux8[a + l] = (sbyte)(((bx.QL[q4 + l] & 0xF) | (((bx.QH[qh + l] >> 0) & 3) << 4)) - 32);
                    aux8[a + l + 32] = (sbyte)(((bx.QL[q4 + l + 32] & 0xF) | (((bx.QH[qh + l] >> 2) & 3) << 4)) - 32);
                    aux8[a + l + 64] = (sbyte)(((bx.QL[q4 + l] >> 4) | (((bx.QH[qh + l] >> 4) & 3) << 4)) - 32);
                    aux8[a + l + 96] = (sbyte)(((bx.QL[q4 + l + 32] >> 4) | (((bx.QH[qh + l] >> 6) & 3) << 4)) - 32);
                }
            }

            for (int j = 0, e = 0; j < Qk / 16; ++j)
            {
                int scale = bx.Scales[j];
                for (int half = 0; half < 2; ++half, e += 8)
                {
                    for (int l = 0; l < 8; ++l)
                    {
                        aux32[l] += scale * (short)(by.Qs[e + l] * aux8[e + l]);
                    }
                }
            }

            float d = (float)bx.D * by.D;
            for (int l = 0; l < 8; ++l) sums[l] += d * aux32[l];
        }

        float sumf = 0;
        for (int l = 0; l < 8; ++l) sumf += sums[l];
        return sumf;
    }

    /// <summary>
    /// AVX2 twin of <see cref="DotScalar"/> in the shape of ggml's AVX2 <c>ggml_vec_dot_q6_K_q8_K</c>: unsigned 6-bit
    /// quants times Q8 minus 32·Q8, scaled per 16 in int32, F32 lanes across super-blocks.
    /// </summary>
    internal static float DotAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = CheckedBlocks(weights, activations, count);
        ReadOnlySpan<BlockQ6K> x = MemoryMarshal.Cast<byte, BlockQ6K>(weights);
        ReadOnlySpan<BlockQ8K> y = MemoryMarshal.Cast<byte, BlockQ8K>(activations);
        Vector256<byte> m4 = Vector256.Create((byte)0xF);
        Vector256<byte> m2 = Vector256.Create((byte)3);
        Vector256<byte> m32 = Vector256.Create((byte)32);
        Vector256<float> acc = Vector256<float>.Zero;
        for (int i = 0; i < nb; ++i)
        {
            ref readonly BlockQ6K bx = ref x[i];
            ref readonly BlockQ8K by = ref y[i];
            ref byte ql = ref MemoryMarshal.GetReference((ReadOnlySpan<byte>)bx.QL);
            ref byte qh = ref MemoryMarshal.GetReference((ReadOnlySpan<byte>)bx.QH);
            ref sbyte q8 = ref MemoryMarshal.GetReference((ReadOnlySpan<sbyte>)by.Qs);
            Vector256<int> sumi = Vector256<int>.Zero;
            for (int j = 0; j < 2; ++j)
            {
                Vector256<byte> ql0 = Vector256.LoadUnsafe(ref ql, (nuint)(64 * j));
                Vector256<byte> ql1 = Vector256.LoadUnsafe(ref ql, (nuint)(64 * j + 32));
                Vector256<byte> h = Vector256.LoadUnsafe(ref qh, (nuint)(32 * j));
                Vector256<byte> q0 = (ql0 & m4) | ((h & m2) << 4);
                Vector256<byte> q1 = (ql1 & m4) | (((h >> 2) & m2) << 4);
                Vector256<byte> q2 = (ql0 >> 4) | (((h >> 4) & m2) << 4);
                Vector256<byte> q3 = (ql1 >> 4) | (((h >> 6) & m2) << 4);
                sumi += ScaledGroup(q0, Vector256.LoadUnsafe(ref q8, (nuint)(128 * j)), bx.Scales[8 * j + 0], bx.Scales[8 * j + 1], m32);
                sumi += ScaledGroup(q1, Vector256.LoadUnsafe(ref q8, (nuint)(128 * j + 32)), bx.Scales[8 * j + 2], bx.Scales[8 * j + 3], m32);
                sumi += ScaledGroup(q2, Vector256.LoadUnsafe(ref q8, (nuint)(128 * j + 64)), bx.Scales[8 * j + 4], bx.Scales[8 * j + 5], m32);
                sumi += ScaledGroup(q3, Vector256.LoadUnsafe(ref q8, (nuint)(128 * j + 96)), bx.Scales[8 * j + 6], bx.Scales[8 * j + 7], m32);
            }

            acc = Fma.MultiplyAdd(Vector256.Create((float)bx.D * by.D), Avx.ConvertToVector256Single(sumi), acc);
        }

        return SimdOps.HorizontalSum(acc);
    }

    // 32 quants (0..63) · 32 Q8 values, less 32·ΣQ8, with scaleLow on the first 16 and scaleHigh on the last 16; exact in int16/int32.
    private static Vector256<int> ScaledGroup(Vector256<byte> q, Vector256<sbyte> q8, sbyte scaleLow, sbyte scaleHigh, Vector256<byte> m32)
    {
        Vector256<short> p16 = Avx2.MultiplyAddAdjacent(q, q8) - Avx2.MultiplyAddAdjacent(m32, q8);
        Vector256<short> scale = Vector256.Create(Vector128.Create((short)scaleLow), Vector128.Create((short)scaleHigh));
        return Avx2.MultiplyAddAdjacent(p16, scale);
    }

    private static int CheckedBlocks(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = QuantMath.BlockCount(count, Qk);
        QuantMath.RequireBytes(weights.Length, (long)nb * BlockQ6K.ByteCount, nameof(weights));
        QuantMath.RequireBytes(activations.Length, (long)nb * BlockQ8K.ByteCount, nameof(activations));
        return nb;
    }
}
