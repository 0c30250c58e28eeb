using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>Q4_0: 32 4-bit quants with one F16 scale (x = d·(q − 8)).</summary>
public static class Q4_0Kernels
{
    private const int Qk = BlockQ4_0.ElementCount;

    /// <summary>Mirrors <c>dequantize_row_q4_0</c>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int nb = QuantMath.BlockCount(destination.Length, Qk);
        QuantMath.RequireBytes(source.Length, (long)nb * BlockQ4_0.ByteCount, nameof(source));
        ReadOnlySpan<BlockQ4_0> x = MemoryMarshal.Cast<byte, BlockQ4_0>(source);
        for (int i = 0; i < nb; i++)
        {
            ref readonly BlockQ4_0 b = ref x[i];
            float d = (float)b.D;
            Span<float> y = destination.Slice(i * Qk, Qk);
            for (int j = 0; j < Qk / 2; ++j)
            {
                int x0 = (b.Qs[j] & 0x0F) - 8;
                int x1 = (b.Qs[j] >> 4) - 8;
                y[j] = x0 * d;
                y[j + Qk / 2] = x1 * d;
            }
        }
    }

    /// <summary>Mirrors <c>quantize_row_q4_0_ref</c>: d = max/−8 (max = signed value of largest magnitude).</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockQ4_0.ByteCount, nameof(destination));
        Span<BlockQ4_0> y = MemoryMarshal.Cast<byte, BlockQ4_0>(destination);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = source.Slice(i * Qk, Qk);
            float max = QuantMath.LargestMagnitude(x, out _);

            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref BlockQ4_0 b = ref y[i];
            b.D = (Half)d;
            for (int j = 0; j < Qk / 2; ++j)
            {
                float x0 = x[j] * id;
                float x1 = x[Qk / 2 + j] * id;
                int xi0 = Math.Min(15, (int)(sbyte)(int)(x0 + 8.5f));
                int xi1 = Math.Min(15, (int)(sbyte)(int)(x1 + 8.5f));
                b.Qs[j] = (byte)(xi0 | (xi1 << 4));
            }
        }
    }

    /// <summary>Q4_0 · Q8_0 over <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) =>
        SimdOps.Avx2Fma ? DotAvx2(weights, activations, count, useVnni: true) : DotScalar(weights, activations, count);

    /// <summary>Mirrors <c>ggml_vec_dot_q4_0_q8_0_generic</c>.</summary>
    internal static float DotScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = CheckedBlocks(weights, activations, count);
        ReadOnlySpan<BlockQ4_0> x = MemoryMarshal.Cast<byte, BlockQ4_0>(weights);
        ReadOnlySpan<BlockQ8_0> y = MemoryMarshal.Cast<byte, BlockQ8_0>(activations);
        float sumf = 0;
        for (int ib = 0; ib < nb; ++ib)
        {
            ref readonly BlockQ4_0 bx = ref x[ib];
            ref readonly BlockQ8_0 by = ref y[ib];
            int sumi0 = 0;
            int sumi1 = 0;
            for (int j = 0; j < Qk / 2; ++j)
            {
                int v0 = (bx.Qs[j] & 0x0F) - 8;
                int v1 = (bx.Qs[j] >> 4) - 8;
                sumi0 += v0 * by.Qs[j];
                sumi1 += v1 * by.Qs[j + Qk / 2];
            }

            int sumi = sumi0 + sumi1;
            sumf += sumi * (float)bx.D * (float)by.D;
        }

        return sumf;
    }

    /// <summary>Mirrors the AVX2 branch of <c>ggml_vec_dot_q4_0_q8_0</c> (AVX-VNNI for the byte products when asked and present).</summary>
    internal static float DotAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count, bool useVnni)
    {
        int nb = CheckedBlocks(weights, activations, count);
        ReadOnlySpan<BlockQ4_0> x = MemoryMarshal.Cast<byte, BlockQ4_0>(weights);
        ReadOnlySpan<BlockQ8_0> y = MemoryMarshal.Cast<byte, BlockQ8_0>(activations);
        Vector256<float> acc = Vector256<float>.Zero;
        Vector256<sbyte> offset = Vector256.Create((sbyte)8);
        for (int ib = 0; ib < nb; ++ib)
        {
            ref readonly BlockQ4_0 bx = ref x[ib];
            ref readonly BlockQ8_0 by = ref y[ib];
            Vector256<float> d = Vector256.Create((float)bx.D * (float)by.D);
            Vector256<sbyte> qx = SimdOps.BytesFromNibbles(ref MemoryMarshal.GetReference((ReadOnlySpan<byte>)bx.Qs)).AsSByte() - offset;
            Vector256<sbyte> qy = Vector256.Create((ReadOnlySpan<sbyte>)by.Qs);
            acc = Fma.MultiplyAdd(d, SimdOps.MulSumI8PairsFloat(qx, qy, useVnni), acc);
        }

        return SimdOps.HorizontalSum(acc);
    }

    private static int CheckedBlocks(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = QuantMath.BlockCount(count, Qk);
        QuantMath.RequireBytes(weights.Length, (long)nb * BlockQ4_0.ByteCount, nameof(weights));
        QuantMath.RequireBytes(activations.Length, (long)nb * BlockQ8_0.ByteCount, nameof(activations));
        return nb;
    }
}
