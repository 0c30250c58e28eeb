using System.Runtime.InteropServices;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>Q8_K: 256 signed 8-bit quants, an F32 scale and sums of each 16; the activation type of the K-quants and IQ4_XS.</summary>
public static class Q8_KKernels
{
    private const int Qk = BlockQ8K.ElementCount;

    /// <summary>Mirrors <c>dequantize_row_q8_K</c>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int nb = QuantMath.BlockCount(destination.Length, Qk);
        QuantMath.RequireBytes(source.Length, (long)nb * BlockQ8K.ByteCount, nameof(source));
        ReadOnlySpan<BlockQ8K> x = MemoryMarshal.Cast<byte, BlockQ8K>(source);
        for (int i = 0; i < nb; i++)
        {
            ref readonly BlockQ8K b = ref x[i];
            for (int j = 0; j < Qk; ++j)
            {
                destination[i * Qk + j] = b.D * b.Qs[j];
            }
        }
    }

    /// <summary>
    /// Mirrors <c>quantize_row_q8_K_ref</c>, which the x86 CPU backend also uses for activations:
    /// iscale = −127/max (max = the signed value of largest magnitude), q = min(127, nearest_int(iscale·x)), d = 1/iscale.
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockQ8K.ByteCount, nameof(destination));
        Span<BlockQ8K> y = MemoryMarshal.Cast<byte, BlockQ8K>(destination);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = source.Slice(i * Qk, Qk);
            ref BlockQ8K b = ref y[i];
            float max = QuantMath.LargestMagnitude(x, out float amax);

            if (amax == 0)
            {
                b.D = 0;
                ((Span<sbyte>)b.Qs).Clear();
                ((Span<short>)b.BSums).Clear();
                continue;
            }

            float iscale = -127.0f / max;
            for (int j = 0; j < Qk; ++j)
            {
                int v = QuantMath.NearestInt(iscale * x[j]);
                b.Qs[j] = (sbyte)Math.Min(127, v);
            }

            for (int j = 0; j < Qk / 16; ++j)
            {
                int sum = 0;
                for (int ii = 0; ii < 16; ++ii)
                {
                    sum += b.Qs[j * 16 + ii];
                }

                b.BSums[j] = (short)sum;
            }

            b.D = 1 / iscale;
        }
    }

    /// <summary>Always throws: ggml defines no Q8_K · Q8_K dot product.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) =>
        throw new NotSupportedException("tensor type 15 (Q8_K) is an activation-only type; it has no dot product of its own");
}
