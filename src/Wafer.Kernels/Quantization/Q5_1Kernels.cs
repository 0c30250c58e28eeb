using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>Q5_1: 32 5-bit quants with an F16 scale and minimum (x = d·q + m).</summary>
public static class Q5_1Kernels
{
    private const int Qk = BlockQ5_1.ElementCount;

    /// <summary>Mirrors <c>dequantize_row_q5_1</c>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int nb = QuantMath.BlockCount(destination.Length, Qk);
        QuantMath.RequireBytes(source.Length, (long)nb * BlockQ5_1.ByteCount, nameof(source));
        ReadOnlySpan<BlockQ5_1> x = MemoryMarshal.Cast<byte, BlockQ5_1>(source);
        for (int i = 0; i < nb; i++)
        {
            ref readonly BlockQ5_1 b = ref x[i];
            float d = (float)b.D;
            float m = (float)b.M;
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(b.Qh);
            Span<float> y = destination.Slice(i * Qk, Qk);
            for (int j = 0; j < Qk / 2; ++j)
            {
                int xh0 = (int)(((qh >> (j + 0)) << 4) & 0x10);
                int xh1 = (int)((qh >> (j + 12)) & 0x10);
                int x0 = (b.Qs[j] & 0x0F) | xh0;
                int x1 = (b.Qs[j] >> 4) | xh1;
                y[j] = x0 * d + m;
                y[j + Qk / 2] = x1 * d + m;
            }
        }
    }

    /// <summary>Mirrors <c>quantize_row_q5_1_ref</c>: d = (max − min)/31, m = min.</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockQ5_1.ByteCount, nameof(destination));
        Span<BlockQ5_1> y = MemoryMarshal.Cast<byte, BlockQ5_1>(destination);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = source.Slice(i * Qk, Qk);
            QuantMath.MinMax(x, out float min, out float max);

            float d = (max - min) / ((1 << 5) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref BlockQ5_1 b = ref y[i];
            b.D = (Half)d;
            b.M = (Half)min;
            uint qh = 0;
            for (int j = 0; j < Qk / 2; ++j)
            {
                float x0 = (x[j] - min) * id;
                float x1 = (x[Qk / 2 + j] - min) * id;
                uint xi0 = (byte)(int)(x0 + 0.5f);
                uint xi1 = (byte)(int)(x1 + 0.5f);
                b.Qs[j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= ((xi0 & 0x10u) >> 4) << (j + 0);
                qh |= ((xi1 & 0x10u) >> 4) << (j + Qk / 2);
            }

            BinaryPrimitives.WriteUInt32LittleEndian(b.Qh, qh);
        }
    }

    /// <summary>Q5_1 · Q8_1 over <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) =>
        DotScalar(weights, activations, count);

    /// <summary>Mirrors <c>ggml_vec_dot_q5_1_q8_1_generic</c>.</summary>
    internal static float DotScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = QuantMath.BlockCount(count, Qk);
        QuantMath.RequireBytes(weights.Length, (long)nb * BlockQ5_1.ByteCount, nameof(weights));
        QuantMath.RequireBytes(activations.Length, (long)nb * BlockQ8_1.ByteCount, nameof(activations));
        ReadOnlySpan<BlockQ5_1> x = MemoryMarshal.Cast<byte, BlockQ5_1>(weights);
        ReadOnlySpan<BlockQ8_1> y = MemoryMarshal.Cast<byte, BlockQ8_1>(activations);
        float sumf = 0;
        for (int ib = 0; ib < nb; ++ib)
        {
            ref readonly BlockQ5_1 bx = ref x[ib];
            ref readonly BlockQ8_1 by = ref y[ib];
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(bx.Qh);
            int sumi0 = 0;
            int sumi1 = 0;
            for (int j = 0; j < Qk / 2; ++j)
            {
                int xh0 = (int)(((qh >> (j + 0)) << 4) & 0x10);
                int xh1 = (int)((qh >> (j + 12)) & 0x10);
                int x0 = (bx.Qs[j] & 0xF) | xh0;
                int x1 = (bx.Qs[j] >> 4) | xh1;
                sumi0 += x0 * by.Qs[j];
                sumi1 += x1 * by.Qs[j + Qk / 2];
            }

            int sumi = sumi0 + sumi1;
            sumf += ((float)bx.D * (float)by.D) * sumi + (float)bx.M * (float)by.S;
        }

        return sumf;
    }
}
