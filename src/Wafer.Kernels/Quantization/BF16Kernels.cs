using System.Runtime.InteropServices;

namespace Wafer.Kernels.Quantization;

/// <summary>BF16 rows: ggml's BF16 rounding and <c>ggml_vec_dot_bf16</c>.</summary>
public static class BF16Kernels
{
    /// <summary>Widens BF16 values to F32 (exact).</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        QuantMath.RequireBytes(source.Length, (long)destination.Length * 2, nameof(source));
        ReadOnlySpan<ushort> x = MemoryMarshal.Cast<byte, ushort>(source);
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = BF16Conversion.ToSingle(x[i]);
        }
    }

    /// <summary>Rounds F32 values to BF16 as GGML_FP32_TO_BF16 does.</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        QuantMath.RequireBytes(destination.Length, (long)source.Length * 2, nameof(destination));
        Span<ushort> y = MemoryMarshal.Cast<byte, ushort>(destination);
        for (int i = 0; i < source.Length; i++)
        {
            y[i] = BF16Conversion.FromSingle(source[i]);
        }
    }

    /// <summary>Dot product of two BF16 rows of <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        ReadOnlySpan<ushort> x = MemoryMarshal.Cast<byte, ushort>(weights)[..count];
        ReadOnlySpan<ushort> y = MemoryMarshal.Cast<byte, ushort>(activations)[..count];
        return SimdOps.Avx2Fma ? DotAvx2(x, y) : DotScalar(x, y);
    }

    /// <summary>Mirrors the scalar branch of <c>ggml_vec_dot_bf16</c>: products in F32, sum in F64.</summary>
    internal static float DotScalar(ReadOnlySpan<ushort> x, ReadOnlySpan<ushort> y) => HalfWidthDot.Scalar<BF16Format>(x, y);

    /// <summary>Mirrors the AVX2 branch of <c>ggml_vec_dot_bf16</c>: 4 accumulators of 8 lanes, 32 elements a step, F64 tail.</summary>
    internal static float DotAvx2(ReadOnlySpan<ushort> x, ReadOnlySpan<ushort> y) => HalfWidthDot.Avx2<BF16Format>(x, y);
}
