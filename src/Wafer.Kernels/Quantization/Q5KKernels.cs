using System.Runtime.InteropServices;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>Q5_K: 256 5-bit quants in 8 groups of 32, each with a 6-bit scale and min (x = d·sc·q − dmin·m).</summary>
public static class Q5KKernels
{
    private const int Qk = QuantMath.SuperBlockSize;

    /// <summary>Mirrors <c>dequantize_row_q5_K</c>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int nb = QuantMath.BlockCount(destination.Length, Qk);
        QuantMath.RequireBytes(source.Length, (long)nb * BlockQ5K.ByteCount, nameof(source));
        ReadOnlySpan<BlockQ5K> x = MemoryMarshal.Cast<byte, BlockQ5K>(source);
        int yi = 0;
        for (int i = 0; i < nb; i++)
        {
            ref readonly BlockQ5K b = ref x[i];
            float d = (float)b.D;
            float min = (float)b.DMin;
            int ql = 0;
            int u1 = 1, u2 = 2;
            for (int j = 0, scaleIndex = 0; j < Qk; j += 64, scaleIndex += 2)
            {
                KQuantSolvers.GetScaleMinK4(scaleIndex + 0, b.Scales, out byte sc, out byte m);
                float d1 = d * sc, m1 = min * m;
                KQuantSolvers.GetScaleMinK4(scaleIndex + 1, b.Scales, out sc, out m);
                float d2 = d * sc, m2 = min * m;
                for (int l = 0; l < 32; ++l) destination[yi++] = d1 * ((b.Qs[ql + l] & 0xF) + ((b.Qh[l] & u1) != 0 ? 16 : 0)) - m1;
                for (int l = 0; l < 32; ++l) destination[yi++] = d2 * ((b.Qs[ql + l] >> 4) + ((b.Qh[l] & u2) != 0 ? 16 : 0)) - m2;
                ql += 32;
                u1 <<= 2;
                u2 <<= 2;
            }
        }
    }

    /// <summary>Mirrors <c>quantize_row_q5_K_ref</c> (make_qkx2_quants per 32 with weights av_x + |x|, 6-bit scales and mins).</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) =>
        KQuant45.Quantize(source, destination, BlockQ5K.ByteCount, nmax: 31, rmin: -0.5f, nstep: 15, WritePacked);

    private static void WritePacked(Span<byte> block, ReadOnlySpan<byte> levels)
    {
        Span<byte> qh = block.Slice(16, 32);
        Span<byte> ql = block.Slice(48, 128);
        qh.Clear();
        int m1 = 1, m2 = 2;
        for (int n = 0, o = 0; n < Qk; n += 64, o += 32)
        {
            for (int j = 0; j < 32; ++j)
            {
                int l1 = levels[n + j];
                if (l1 > 15)
                {
                    l1 -= 16;
                    qh[j] |= (byte)m1;
                }

                int l2 = levels[n + j + 32];
                if (l2 > 15)
                {
                    l2 -= 16;
                    qh[j] |= (byte)m2;
                }

                ql[o + j] = (byte)(l1 | (l2 << 4));
            }

            m1 <<= 2;
            m2 <<= 2;
        }
    }

    /// <summary>Q5_K · Q8_K over <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) =>
        DotScalar(weights, activations, count);

    /// <summary>Mirrors <c>ggml_vec_dot_q5_K_q8_K_generic</c> (8 lane accumulators, as written there).</summary>
    internal static float DotScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = QuantMath.BlockCount(count, Qk);
        QuantMath.RequireBytes(weights.Length, (long)nb * BlockQ5K.ByteCount, nameof(weights));
        QuantMath.RequireBytes(activations.Length, (long)nb * BlockQ8K.ByteCount, nameof(activations));
        ReadOnlySpan<BlockQ5K> x = MemoryMarshal.Cast<byte, BlockQ5K>(weights);
        ReadOnlySpan<BlockQ8K> y = MemoryMarshal.Cast<byte, BlockQ8K>(activations);
        Span<float> sums = stackalloc float[8];
        Span<int> aux32 = stackalloc int[8];
        Span<byte> scales = stackalloc byte[8];
        Span<byte> mins = stackalloc byte[8];
        sums.Clear();
        float sumf = 0;
        for (int i = 0; i < nb; ++i)
        {
            ref readonly BlockQ5K bx = ref x[i];
            ref readonly BlockQ8K by = ref y[i];
            aux32.Clear();
            for (int j = 0; j < 8; ++j) KQuantSolvers.GetScaleMinK4(j, bx.Scales, out scales[j], out mins[j]);
            int sumi = 0;
            for (int j = 0; j < Qk / 16; ++j) sumi += by.BSums[j] * mins[j / 2];
            for (int j = 0; j < Qk / 32; ++j)
            {
                int scale = scales[j];
                int q4 = (j / 2) * 32;
                int shift = (j % 2) * 4;
                int m = 1 << j;
                for (int part = 0; part < 4; ++part)
                {
                    for (int l = 0; l < 8; ++l)
                    {
                        int e = part * 8 + l;
                        int a = ((bx.Qs[q4 + e] >> shift) & 0xF) + ((bx.Qh[e] & m) != 0 ? 16 : 0);
                        aux32[l] += scale * (short)(by.Qs[j * 32 + e] * a);
                    }
                }
            }

            float d = (float)bx.D * by.D;
            for (int l = 0; l < 8; ++l) sums[l] += d * aux32[l];
            float dmin = (float)bx.DMin * by.D;
            sumf -= dmin * sumi;
        }

        for (int l = 0; l < 8; ++l) sumf += sums[l];
        return sumf;
    }
}
