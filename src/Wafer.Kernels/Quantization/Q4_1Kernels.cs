using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>Q4_1: 32 4-bit quants with an F16 scale and minimum (x = d·q + m).</summary>
public static class Q4_1Kernels
{
    private const int Qk = BlockQ4_1.ElementCount;

    /// <summary>Mirrors <c>dequantize_row_q4_1</c>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int nb = QuantMath.BlockCount(destination.Length, Qk);
        QuantMath.RequireBytes(source.Length, (long)nb * BlockQ4_1.ByteCount, nameof(source));
        ReadOnlySpan<BlockQ4_1> x = MemoryMarshal.Cast<byte, BlockQ4_1>(source);
        for (int i = 0; i < nb; i++)
        {
            ref readonly BlockQ4_1 b = ref x[i];
            float d = (float)b.D;
            float m = (float)b.M;
            Span<float> y = destination.Slice(i * Qk, Qk);
            for (int j = 0; j < Qk / 2; ++j)
            {
                int x0 = b.Qs[j] & 0x0F;
                int x1 = b.Qs[j] >> 4;
                y[j] = x0 * d + m;
                y[j + Qk / 2] = x1 * d + m;
            }
        }
    }

    /// <summary>Mirrors <c>quantize_row_q4_1_ref</c>: d = (max − min)/15, m = min.</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockQ4_1.ByteCount, nameof(destination));
        Span<BlockQ4_1> y = MemoryMarshal.Cast<byte, BlockQ4_1>(destination);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = source.Slice(i * Qk, Qk);
            QuantMath.MinMax(x, out float min, out float max);

            float d = (max - min) / ((1 << 4) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref BlockQ4_1 b = ref y[i];
            b.D = (Half)d;
            b.M = (Half)min;
            for (int j = 0; j < Qk / 2; ++j)
            {
                float x0 = (x[j] - min) * id;
                float x1 = (x[Qk / 2 + j] - min) * id;
                int xi0 = Math.Min(15, (int)(sbyte)(int)(x0 + 0.5f));
                int xi1 = Math.Min(15, (int)(sbyte)(int)(x1 + 0.5f));
                b.Qs[j] = (byte)(xi0 | (xi1 << 4));
            }
        }
    }

    /// <summary>Q4_1 · Q8_1 over <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) =>
        SimdOps.Avx2Fma ? DotAvx2(weights, activations, count) : DotScalar(weights, activations, count);

    /// <summary>Mirrors <c>ggml_vec_dot_q4_1_q8_1_generic</c>.</summary>
    internal static float DotScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = QuantMath.BlockCount(count, Qk);
        QuantMath.RequireBytes(weights.Length, (long)nb * BlockQ4_1.ByteCount, nameof(weights));
        QuantMath.RequireBytes(activations.Length, (long)nb * BlockQ8_1.ByteCount, nameof(activations));
        ReadOnlySpan<BlockQ4_1> x = MemoryMarshal.Cast<byte, BlockQ4_1>(weights);
        ReadOnlySpan<BlockQ8_1> y = MemoryMarshal.Cast<byte, BlockQ8_1>(activations);
        float sumf = 0;
        for (int ib = 0; ib < nb; ++ib)
        {
            ref readonly BlockQ4_1 bx = ref x[ib];
            ref readonly BlockQ8_1 by = ref y[ib];
            int sumi0 = 0;
            int sumi1 = 0;
            for (int j = 0; j < Qk / 2; ++j)
            {
                sumi0 += (bx.Qs[j] & 0x0F) * by.Qs[j];
                sumi1 += (bx.Qs[j] >> 4) * by.Qs[j + Qk / 2];
            }

            int sumi = sumi0 + sumi1;
            sumf += ((float)bx.D * (float)by.D) * sumi + (float)bx.M * (float)by.S;
        }

        return sumf;
    }

    /// <summary>Mirrors the AVX2 branch of <c>ggml_vec_dot_q4_1_q8_1</c>: d·Σq·q8 in 8 F32 lanes, m·s summed apart.</summary>
    internal static float DotAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = QuantMath.BlockCount(count, Qk);
        QuantMath.RequireBytes(weights.Length, (long)nb * BlockQ4_1.ByteCount, nameof(weights));
        QuantMath.RequireBytes(activations.Length, (long)nb * BlockQ8_1.ByteCount, nameof(activations));
        ReadOnlySpan<BlockQ4_1> x = MemoryMarshal.Cast<byte, BlockQ4_1>(weights);
        ReadOnlySpan<BlockQ8_1> y = MemoryMarshal.Cast<byte, BlockQ8_1>(activations);
        Vector256<float> acc = Vector256<float>.Zero;
        float summs = 0;
        for (int ib = 0; ib < nb; ++ib)
        {
            ref readonly BlockQ4_1 bx = ref x[ib];
            ref readonly BlockQ8_1 by = ref y[ib];
            summs += (float)bx.M * (float)by.S;
            Vector256<float> d0d1 = Vector256.Create((float)bx.D) * Vector256.Create((float)by.D);
            Vector256<byte> qx = SimdOps.BytesFromNibbles(ref MemoryMarshal.GetReference((ReadOnlySpan<byte>)bx.Qs));
            Vector256<sbyte> qy = Vector256.Create((ReadOnlySpan<sbyte>)by.Qs);
            acc = Fma.MultiplyAdd(d0d1, SimdOps.MulSumUs8PairsFloat(qx, qy, useVnni: true), acc);
        }

        return SimdOps.HorizontalSum(acc) + summs;
    }
}
