using System.Runtime.InteropServices;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>IQ4_XS: 256 IQ4_NL indices with 8 6-bit block scales under one F16 super-block scale.</summary>
public static class IQ4XSKernels
{
    private const int Qk = BlockIQ4XS.ElementCount;

    /// <summary>Mirrors <c>dequantize_row_iq4_xs</c>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int nb = QuantMath.BlockCount(destination.Length, Qk);
        QuantMath.RequireBytes(source.Length, (long)nb * BlockIQ4XS.ByteCount, nameof(source));
        ReadOnlySpan<BlockIQ4XS> x = MemoryMarshal.Cast<byte, BlockIQ4XS>(source);
        ReadOnlySpan<sbyte> values = IQ4NLQuantizer.Values;
        for (int i = 0; i < nb; i++)
        {
            ref readonly BlockIQ4XS b = ref x[i];
            float d = (float)b.D;
            for (int ib = 0; ib < Qk / 32; ++ib)
            {
                int ls = ((b.ScalesL[ib / 2] >> (4 * (ib % 2))) & 0xf) | (((b.ScalesH >> (2 * ib)) & 3) << 4);
                float dl = d * (ls - 32);
                Span<float> y = destination.Slice(i * Qk + ib * 32, 32);
                for (int j = 0; j < 16; ++j)
                {
                    y[j] = dl * values[b.Qs[ib * 16 + j] & 0xf];
                    y[j + 16] = dl * values[b.Qs[ib * 16 + j] >> 4];
                }
            }
        }
    }

    /// <summary>Mirrors <c>quantize_iq4_xs</c> with no importance matrix (= quantize_row_iq4_xs_ref; ntry = 7).</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockIQ4XS.ByteCount, nameof(destination));
        Span<BlockIQ4XS> y = MemoryMarshal.Cast<byte, BlockIQ4XS>(destination);
        Span<float> scales = stackalloc float[Qk / 32];
        Span<float> weight = stackalloc float[32];
        Span<byte> levels = stackalloc byte[Qk];
        for (int i = 0; i < nb; i++)
        {
            ref BlockIQ4XS b = ref y[i];
            IQ4NLQuantizer.QuantizeSuperBlock(
                Qk, 32, source.Slice(i * Qk, Qk), out b.D, b.Qs, out b.ScalesH, b.ScalesL, scales, weight, levels, ntry: 7);
        }
    }

    /// <summary>IQ4_XS · Q8_K over <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) =>
        DotScalar(weights, activations, count);

    /// <summary>Mirrors <c>ggml_vec_dot_iq4_xs_q8_K_generic</c>.</summary>
    internal static float DotScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = QuantMath.BlockCount(count, Qk);
        QuantMath.RequireBytes(weights.Length, (long)nb * BlockIQ4XS.ByteCount, nameof(weights));
        QuantMath.RequireBytes(activations.Length, (long)nb * BlockQ8K.ByteCount, nameof(activations));
        ReadOnlySpan<BlockIQ4XS> x = MemoryMarshal.Cast<byte, BlockIQ4XS>(weights);
        ReadOnlySpan<BlockQ8K> y = MemoryMarshal.Cast<byte, BlockQ8K>(activations);
        ReadOnlySpan<sbyte> values = IQ4NLQuantizer.Values;
        float sumf = 0;
        for (int ibl = 0; ibl < nb; ++ibl)
        {
            ref readonly BlockIQ4XS bx = ref x[ibl];
            ref readonly BlockQ8K by = ref y[ibl];
            float d4d8 = (float)bx.D * by.D;
            int h = bx.ScalesH;
            int qs = 0;
            int q8 = 0;
            for (int ib = 0; ib < Qk / 32; ib += 2)
            {
                int ls1 = (bx.ScalesL[ib / 2] & 0xf) | ((h << 4) & 0x30);
                int ls2 = (bx.ScalesL[ib / 2] >> 4) | ((h << 2) & 0x30);
                h >>= 4;
                float d1 = d4d8 * (ls1 - 32);
                float d2 = d4d8 * (ls2 - 32);
                int sumi1 = 0, sumi2 = 0;
                for (int j = 0; j < 16; ++j)
                {
                    sumi1 += by.Qs[q8 + j] * values[bx.Qs[qs + j] & 0xf];
                    sumi2 += by.Qs[q8 + j + 16] * values[bx.Qs[qs + j] >> 4];
                }

                sumf += d1 * (sumi1 + sumi2);
                qs += 16;
                q8 += 32;
                sumi1 = sumi2 = 0;
                for (int j = 0; j < 16; ++j)
                {
                    sumi1 += by.Qs[q8 + j] * values[bx.Qs[qs + j] & 0xf];
                    sumi2 += by.Qs[q8 + j + 16] * values[bx.Qs[qs + j] >> 4];
                }

                sumf += d2 * (sumi1 + sumi2);
                qs += 16;
                q8 += 32;
            }
        }

        return sumf;
    }
}
