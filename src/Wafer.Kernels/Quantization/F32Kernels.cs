using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wafer.Kernels.Quantization;

/// <summary>F32 rows: copies in and out, and ggml's <c>ggml_vec_dot_f32</c>.</summary>
public static class F32Kernels
{
    /// <summary>Copies little-endian F32 bytes to <paramref name="destination"/>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        QuantMath.RequireBytes(source.Length, (long)destination.Length * 4, nameof(source));
        MemoryMarshal.Cast<byte, float>(source)[..destination.Length].CopyTo(destination);
    }

    /// <summary>Copies F32 values to bytes.</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        QuantMath.RequireBytes(destination.Length, (long)source.Length * 4, nameof(destination));
        MemoryMarshal.AsBytes(source).CopyTo(destination);
    }

    /// <summary>Dot product of two F32 rows of <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        ReadOnlySpan<float> x = MemoryMarshal.Cast<byte, float>(weights)[..count];
        ReadOnlySpan<float> y = MemoryMarshal.Cast<byte, float>(activations)[..count];
        return SimdOps.Avx2Fma ? DotAvx2(x, y) : DotScalar(x, y);
    }

    /// <summary>Mirrors the scalar branch of <c>ggml_vec_dot_f32</c>: products in F32, sum in F64.</summary>
    internal static float DotScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }

        return (float)sum;
    }

    /// <summary>Mirrors the AVX2 branch of <c>ggml_vec_dot_f32</c>: 4 accumulators of 8 lanes, 32 elements a step, F64 tail.</summary>
    internal static float DotAvx2(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        int n = x.Length;
        int stepped = n & ~31;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        for (int i = 0; i < stepped; i += 32)
        {
            s0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256.LoadUnsafe(ref yr, (nuint)i), s0);
            s1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)(i + 8)), Vector256.LoadUnsafe(ref yr, (nuint)(i + 8)), s1);
            s2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)(i + 16)), Vector256.LoadUnsafe(ref yr, (nuint)(i + 16)), s2);
            s3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)(i + 24)), Vector256.LoadUnsafe(ref yr, (nuint)(i + 24)), s3);
        }

        double sum = SimdOps.HorizontalSum((s0 + s2) + (s1 + s3));
        for (int i = stepped; i < n; i++)
        {
            sum += x[i] * y[i];
        }

        return (float)sum;
    }
}
