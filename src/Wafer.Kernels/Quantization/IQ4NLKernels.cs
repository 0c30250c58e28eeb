using System.Runtime.InteropServices;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>IQ4_NL: 32 4-bit indices into a fixed non-linear grid, one F16 scale (x = d·kvalues[q]).</summary>
public static class IQ4NLKernels
{
    private const int Qk = BlockIQ4NL.ElementCount;

    /// <summary>Mirrors <c>dequantize_row_iq4_nl</c>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int nb = QuantMath.BlockCount(destination.Length, Qk);
        QuantMath.RequireBytes(source.Length, (long)nb * BlockIQ4NL.ByteCount, nameof(source));
        ReadOnlySpan<BlockIQ4NL> x = MemoryMarshal.Cast<byte, BlockIQ4NL>(source);
        ReadOnlySpan<sbyte> values = IQ4NLQuantizer.Values;
        for (int i = 0; i < nb; i++)
        {
            ref readonly BlockIQ4NL b = ref x[i];
            float d = (float)b.D;
            Span<float> y = destination.Slice(i * Qk, Qk);
            for (int j = 0; j < Qk / 2; ++j)
            {
                y[j] = d * values[b.Qs[j] & 0xf];
                y[j + Qk / 2] = d * values[b.Qs[j] >> 4];
            }
        }
    }

    /// <summary>
    /// Mirrors <c>quantize_iq4_nl</c> with no importance matrix (what llama-quantize calls: ntry = 7);
    /// ggml's quantize_row_iq4_nl_ref differs only in searching no alternative scales (ntry = −1).
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockIQ4NL.ByteCount, nameof(destination));
        Span<BlockIQ4NL> y = MemoryMarshal.Cast<byte, BlockIQ4NL>(destination);
        Span<float> scale = stackalloc float[1];
        Span<float> weight = stackalloc float[Qk];
        Span<byte> levels = stackalloc byte[Qk];
        for (int i = 0; i < nb; i++)
        {
            ref BlockIQ4NL b = ref y[i];
            IQ4NLQuantizer.QuantizeSuperBlock(
                Qk, 32, source.Slice(i * Qk, Qk), out b.D, b.Qs, out _, [], scale, weight, levels, ntry: 7);
        }
    }

    /// <summary>IQ4_NL · Q8_0 over <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) =>
        DotScalar(weights, activations, count);

    /// <summary>Mirrors <c>ggml_vec_dot_iq4_nl_q8_0_generic</c>.</summary>
    internal static float DotScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = QuantMath.BlockCount(count, Qk);
        QuantMath.RequireBytes(weights.Length, (long)nb * BlockIQ4NL.ByteCount, nameof(weights));
        QuantMath.RequireBytes(activations.Length, (long)nb * BlockQ8_0.ByteCount, nameof(activations));
        ReadOnlySpan<BlockIQ4NL> x = MemoryMarshal.Cast<byte, BlockIQ4NL>(weights);
        ReadOnlySpan<BlockQ8_0> y = MemoryMarshal.Cast<byte, BlockQ8_0>(activations);
        ReadOnlySpan<sbyte> values = IQ4NLQuantizer.Values;
        float sumf = 0;
        for (int ib = 0; ib < nb; ++ib)
        {
            ref readonly BlockIQ4NL bx = ref x[ib];
            ref readonly BlockQ8_0 by = ref y[ib];
            float d = (float)by.D * (float)bx.D;
            int sumi1 = 0, sumi2 = 0;
            for (int j = 0; j < Qk / 2; ++j)
            {
                sumi1 += by.Qs[j] * values[bx.Qs[j] & 0xf];
                sumi2 += by.Qs[j + Qk / 2] * values[bx.Qs[j] >> 4];
            }

            sumf += d * (sumi1 + sumi2);
        }

        return sumf;
    }
}
