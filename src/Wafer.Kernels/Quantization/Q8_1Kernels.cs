using System.Runtime.InteropServices;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>Q8_1: Q8_0 plus s = d·Σq; the activation type of Q4_1 and Q5_1 (ggml has no Q8_1 · Q8_1 dot).</summary>
public static class Q8_1Kernels
{
    private const int Qk = BlockQ8_1.ElementCount;

    /// <summary>x = d·q (ggml has no dequantize_row_q8_1; this is its obvious inverse).</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int nb = QuantMath.BlockCount(destination.Length, Qk);
        QuantMath.RequireBytes(source.Length, (long)nb * BlockQ8_1.ByteCount, nameof(source));
        ReadOnlySpan<BlockQ8_1> x = MemoryMarshal.Cast<byte, BlockQ8_1>(source);
        for (int i = 0; i < nb; i++)
        {
            ref readonly BlockQ8_1 b = ref x[i];
            float d = (float)b.D;
            for (int j = 0; j < Qk; ++j)
            {
                destination[i * Qk + j] = b.Qs[j] * d;
            }
        }
    }

    /// <summary>Mirrors <c>quantize_row_q8_1_ref</c>: d = amax/127, q = roundf(x/d), s = F16(Σq · d).</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockQ8_1.ByteCount, nameof(destination));
        Span<BlockQ8_1> y = MemoryMarshal.Cast<byte, BlockQ8_1>(destination);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = source.Slice(i * Qk, Qk);
            float amax = QuantMath.AbsMax(x);

            float d = amax / ((1 << 7) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref BlockQ8_1 b = ref y[i];
            b.D = (Half)d;
            int sum = 0;
            for (int j = 0; j < Qk / 2; ++j)
            {
                b.Qs[j] = (sbyte)QuantMath.RoundAwayFromZero(x[j] * id);
                b.Qs[Qk / 2 + j] = (sbyte)QuantMath.RoundAwayFromZero(x[Qk / 2 + j] * id);
                sum += b.Qs[j];
                sum += b.Qs[Qk / 2 + j];
            }

            b.S = (Half)(sum * d);
        }
    }

    /// <summary>
    /// Mirrors the AVX2 <c>quantize_row_q8_1</c> of ggml's x86 CPU backend (used for activations):
    /// d = amax/127, id = 127/amax, q = round-half-even(x·id), s = F16(d·Σq).
    /// </summary>
    public static void QuantizeActivation(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockQ8_1.ByteCount, nameof(destination));
        Span<BlockQ8_1> y = MemoryMarshal.Cast<byte, BlockQ8_1>(destination);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = source.Slice(i * Qk, Qk);
            float amax = QuantMath.AbsMax(x);

            float d = amax / 127.0f;
            float id = amax != 0.0f ? 127.0f / amax : 0.0f;
            ref BlockQ8_1 b = ref y[i];
            b.D = (Half)d;
            int sum = 0;
            for (int j = 0; j < Qk; ++j)
            {
                int q = (int)MathF.Round(x[j] * id);
                sum += q;
                b.Qs[j] = (sbyte)Math.Clamp(q, -128, 127);
            }

            b.S = (Half)(d * sum);
        }
    }

    /// <summary>Always throws: ggml defines no Q8_1 · Q8_1 dot product.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) =>
        throw new NotSupportedException("tensor type 9 (Q8_1) is an activation-only type; it has no dot product of its own");
}
