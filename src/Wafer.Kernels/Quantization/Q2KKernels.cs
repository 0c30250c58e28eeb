using System.Runtime.InteropServices;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>Q2_K: 256 2-bit quants in 16 groups, each with a 4-bit scale and min (x = d·sc·q − dmin·m).</summary>
public static class Q2KKernels
{
    private const int Qk = QuantMath.SuperBlockSize;

    /// <summary>Mirrors <c>dequantize_row_q2_K</c>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int nb = QuantMath.BlockCount(destination.Length, Qk);
        QuantMath.RequireBytes(source.Length, (long)nb * BlockQ2K.ByteCount, nameof(source));
        ReadOnlySpan<BlockQ2K> x = MemoryMarshal.Cast<byte, BlockQ2K>(source);
        int yi = 0;
        for (int i = 0; i < nb; i++)
        {
            ref readonly BlockQ2K b = ref x[i];
            float d = (float)b.D;
            float min = (float)b.DMin;
            int q = 0;
            int scaleIndex = 0;
            for (int n = 0; n < Qk; n += 128)
            {
                int shift = 0;
                for (int j = 0; j < 4; ++j)
                {
                    byte sc = b.Scales[scaleIndex++];
                    float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                    for (int l = 0; l < 16; ++l) destination[yi++] = dl * ((b.Qs[q + l] >> shift) & 3) - ml;

                    sc = b.Scales[scaleIndex++];
                    dl = d * (sc & 0xF);
                    ml = min * (sc >> 4);
                    for (int l = 0; l < 16; ++l) destination[yi++] = dl * ((b.Qs[q + l + 16] >> shift) & 3) - ml;

                    shift += 2;
                }

                q += 32;
            }
        }
    }

    /// <summary>Mirrors <c>quantize_row_q2_K_ref</c> (make_qkx2_quants per 16, weights |x|, then 4-bit scales and mins).</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockQ2K.ByteCount, nameof(destination));
        Span<BlockQ2K> y = MemoryMarshal.Cast<byte, BlockQ2K>(destination);
        Span<byte> levels = stackalloc byte[Qk];
        Span<byte> levelsAux = stackalloc byte[16];
        Span<float> weights = stackalloc float[16];
        Span<float> mins = stackalloc float[Qk / 16];
        Span<float> scales = stackalloc float[Qk / 16];
        const float q4scale = 15.0f;
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = source.Slice(i * Qk, Qk);
            ref BlockQ2K b = ref y[i];
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < Qk / 16; ++j)
            {
                for (int l = 0; l < 16; ++l) weights[l] = MathF.Abs(x[16 * j + l]);
                scales[j] = KQuantSolvers.MakeQkx2Quants(
                    16, 3, x.Slice(16 * j, 16), weights, levels.Slice(16 * j, 16), out mins[j], levelsAux, -0.5f, 0.1f, 15, true);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }

            if (maxScale > 0)
            {
                float iscale = q4scale / maxScale;
                for (int j = 0; j < Qk / 16; ++j)
                {
                    b.Scales[j] = (byte)QuantMath.NearestInt(iscale * scales[j]);
                }

                b.D = (Half)(maxScale / q4scale);
            }
            else
            {
                ((Span<byte>)b.Scales).Clear();
                b.D = (Half)0f;
            }

            if (maxMin > 0)
            {
                float iscale = q4scale / maxMin;
                for (int j = 0; j < Qk / 16; ++j)
                {
                    int l = QuantMath.NearestInt(iscale * mins[j]);
                    b.Scales[j] |= (byte)(l << 4);
                }

                b.DMin = (Half)(maxMin / q4scale);
            }
            else
            {
                b.DMin = (Half)0f;
            }

            for (int j = 0; j < Qk / 16; ++j)
            {
                float d = (float)b.D * (b.Scales[j] & 0xF);
                if (d == 0) continue;
                float dm = (float)b.DMin * (b.Scales[j] >> 4);
                for (int ii = 0; ii < 16; ++ii)
                {
                    int l = QuantMath.NearestInt((x[16 * j + ii] + dm) / d);
                    levels[16 * j + ii] = (byte)Math.Max(0, Math.Min(3, l));
                }
            }

            for (int j = 0; j < Qk; j += 128)
            {
                for (int l = 0; l < 32; ++l)
                {
                    b.Qs[j / 4 + l] = (byte)(levels[j + l] | (levels[j + l + 32] << 2) | (levels[j + l + 64] << 4) | (levels[j + l + 96] << 6));
                }
            }
        }
    }

    /// <summary>Q2_K · Q8_K over <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) =>
        DotScalar(weights, activations, count);

    /// <summary>Mirrors <c>ggml_vec_dot_q2_K_q8_K_generic</c>.</summary>
    internal static float DotScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = QuantMath.BlockCount(count, Qk);
        QuantMath.RequireBytes(weights.Length, (long)nb * BlockQ2K.ByteCount, nameof(weights));
        QuantMath.RequireBytes(activations.Length, (long)nb * BlockQ8K.ByteCount, nameof(activations));
        ReadOnlySpan<BlockQ2K> x = MemoryMarshal.Cast<byte, BlockQ2K>(weights);
        ReadOnlySpan<BlockQ8K> y = MemoryMarshal.Cast<byte, BlockQ8K>(activations);
        float sumf = 0;
        for (int i = 0; i < nb; ++i)
        {
            ref readonly BlockQ2K bx = ref x[i];
            ref readonly BlockQ8K by = ref y[i];
            int summs = 0;
            for (int j = 0; j < 16; ++j)
            {
                summs += by.BSums[j] * (bx.Scales[j] >> 4);
            }

            float dall = by.D * (float)bx.D;
            float dmin = by.D * (float)bx.DMin;
            int isum = 0;
            int scaleIndex = 0;
            int q2 = 0;
            int q8 = 0;
            for (int k = 0; k < Qk / 128; ++k)
            {
                int shift = 0;
                for (int j = 0; j < 4; ++j)
                {
                    int d = bx.Scales[scaleIndex++] & 0xF;
                    int isuml = 0;
                    for (int l = 0; l < 16; ++l) isuml += by.Qs[q8 + l] * ((bx.Qs[q2 + l] >> shift) & 3);
                    isum += d * isuml;
                    d = bx.Scales[scaleIndex++] & 0xF;
                    isuml = 0;
                    for (int l = 16; l < 32; ++l) isuml += by.Qs[q8 + l] * ((bx.Qs[q2 + l] >> shift) & 3);
                    isum += d * isuml;
                    shift += 2;
                    q8 += 32;
                }

                q2 += 32;
            }

            sumf += dall * isum - dmin * summs;
        }

        return sumf;
    }
}
