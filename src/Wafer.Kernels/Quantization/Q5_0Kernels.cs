using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>Q5_0: 32 5-bit quants with one F16 scale (x = d·(q − 16)).</summary>
public static class Q5_0Kernels
{
    private const int Qk = BlockQ5_0.ElementCount;

    /// <summary>Mirrors <c>dequantize_row_q5_0</c>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int nb = QuantMath.BlockCount(destination.Length, Qk);
        QuantMath.RequireBytes(source.Length, (long)nb * BlockQ5_0.ByteCount, nameof(source));
        ReadOnlySpan<BlockQ5_0> x = MemoryMarshal.Cast<byte, BlockQ5_0>(source);
        for (int i = 0; i < nb; i++)
        {
            ref readonly BlockQ5_0 b = ref x[i];
            float d = (float)b.D;
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(b.Qh);
            Span<float> y = destination.Slice(i * Qk, Qk);
            for (int j = 0; j < Qk / 2; ++j)
            {
                int xh0 = (int)(((qh >> (j + 0)) << 4) & 0x10);
                int xh1 = (int)((qh >> (j + 12)) & 0x10);
                int x0 = ((b.Qs[j] & 0x0F) | xh0) - 16;
                int x1 = ((b.Qs[j] >> 4) | xh1) - 16;
                y[j] = x0 * d;
                y[j + Qk / 2] = x1 * d;
            }
        }
    }

    /// <summary>Mirrors <c>quantize_row_q5_0_ref</c>: d = max/−16 (max = signed value of largest magnitude).</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockQ5_0.ByteCount, nameof(destination));
        Span<BlockQ5_0> y = MemoryMarshal.Cast<byte, BlockQ5_0>(destination);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = source.Slice(i * Qk, Qk);
            float max = QuantMath.LargestMagnitude(x, out _);

            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref BlockQ5_0 b = ref y[i];
            b.D = (Half)d;
            uint qh = 0;
            for (int j = 0; j < Qk / 2; ++j)
            {
                float x0 = x[j] * id;
                float x1 = x[Qk / 2 + j] * id;
                uint xi0 = (uint)Math.Min(31, (int)(sbyte)(int)(x0 + 16.5f));
                uint xi1 = (uint)Math.Min(31, (int)(sbyte)(int)(x1 + 16.5f));
                b.Qs[j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= ((xi0 & 0x10u) >> 4) << (j + 0);
                qh |= ((xi1 & 0x10u) >> 4) << (j + Qk / 2);
            }

            BinaryPrimitives.WriteUInt32LittleEndian(b.Qh, qh);
        }
    }

    /// <summary>Q5_0 · Q8_0 over <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) =>
        DotScalar(weights, activations, count);

    /// <summary>Mirrors <c>ggml_vec_dot_q5_0_q8_0_generic</c>.</summary>
    internal static float DotScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = QuantMath.BlockCount(count, Qk);
        QuantMath.RequireBytes(weights.Length, (long)nb * BlockQ5_0.ByteCount, nameof(weights));
        QuantMath.RequireBytes(activations.Length, (long)nb * BlockQ8_0.ByteCount, nameof(activations));
        ReadOnlySpan<BlockQ5_0> x = MemoryMarshal.Cast<byte, BlockQ5_0>(weights);
        ReadOnlySpan<BlockQ8_0> y = MemoryMarshal.Cast<byte, BlockQ8_0>(activations);
        float sumf = 0;
        for (int ib = 0; ib < nb; ++ib)
        {
            ref readonly BlockQ5_0 bx = ref x[ib];
            ref readonly BlockQ8_0 by = ref y[ib];
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(bx.Qh);
            int sumi0 = 0;
            int sumi1 = 0;
            for (int j = 0; j < Qk / 2; ++j)
            {
                int xh0 = (int)(((qh & (1u << (j + 0))) >> (j + 0)) << 4);
                int xh1 = (int)((qh & (1u << (j + 16))) >> (j + 12));
                int x0 = ((bx.Qs[j] & 0x0F) | xh0) - 16;
                int x1 = ((bx.Qs[j] >> 4) | xh1) - 16;
                sumi0 += x0 * by.Qs[j];
                sumi1 += x1 * by.Qs[j + Qk / 2];
            }

            int sumi = sumi0 + sumi1;
            sumf += ((float)bx.D * (float)by.D) * sumi;
        }

        return sumf;
    }
}
