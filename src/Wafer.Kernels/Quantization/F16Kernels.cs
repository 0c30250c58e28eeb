using System.Runtime.InteropServices;

namespace Wafer.Kernels.Quantization;

/// <summary>F16 rows: round-to-nearest-even conversion (System.Half) and ggml's <c>ggml_vec_dot_f16</c>.</summary>
public static class F16Kernels
{
    /// <summary>Widens F16 values to F32 (exact).</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        QuantMath.RequireBytes(source.Length, (long)destination.Length * 2, nameof(source));
        ReadOnlySpan<Half> x = MemoryMarshal.Cast<byte, Half>(source);
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)x[i];
        }
    }

    /// <summary>Rounds F32 values to F16, nearest even (GGML_FP32_TO_FP16).</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        QuantMath.RequireBytes(destination.Length, (long)source.Length * 2, nameof(destination));
        Span<Half> y = MemoryMarshal.Cast<byte, Half>(destination);
        for (int i = 0; i < source.Length; i++)
        {
            y[i] = (Half)source[i];
        }
    }

    /// <summary>Dot product of two F16 rows of <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        ReadOnlySpan<ushort> x = MemoryMarshal.Cast<byte, ushort>(weights)[..count];
        ReadOnlySpan<ushort> y = MemoryMarshal.Cast<byte, ushort>(activations)[..count];
        return SimdOps.Avx2Fma ? DotAvx2(x, y) : DotScalar(x, y);
    }

    /// <summary>Mirrors the scalar branch of <c>ggml_vec_dot_f16</c>: products in F32, sum in F64.</summary>
    internal static float DotScalar(ReadOnlySpan<ushort> x, ReadOnlySpan<ushort> y) => HalfWidthDot.Scalar<F16Format>(x, y);

    /// <summary>Mirrors the AVX2 branch of <c>ggml_vec_dot_f16</c>: 4 accumulators of 8 lanes, 32 elements a step, F64 tail.</summary>
    internal static float DotAvx2(ReadOnlySpan<ushort> x, ReadOnlySpan<ushort> y) => HalfWidthDot.Avx2<F16Format>(x, y);
}
