using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wafer.Kernels.Quantization;

/// <summary>A 16-bit float format (F16 or BF16) as the dot products below need it: one value and eight at a time, widened exactly.</summary>
internal interface IHalfWidthFormat
{
    static abstract float ToSingle(ushort bits);

    static abstract Vector256<float> Widen(Vector128<ushort> bits);
}

/// <summary>F16: IEEE half precision.</summary>
internal readonly struct F16Format : IHalfWidthFormat
{
    public static float ToSingle(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    public static Vector256<float> Widen(Vector128<ushort> bits) => SimdOps.HalfToSingle(bits);
}

/// <summary>BF16: the top half of an F32.</summary>
internal readonly struct BF16Format : IHalfWidthFormat
{
    public static float ToSingle(ushort bits) => BF16Conversion.ToSingle(bits);

    public static Vector256<float> Widen(Vector128<ushort> bits) => SimdOps.BF16ToSingle(bits);
}

/// <summary>ggml's <c>ggml_vec_dot_f16</c> / <c>ggml_vec_dot_bf16</c>, which differ only in how a value is widened.</summary>
internal static class HalfWidthDot
{
    /// <summary>The scalar branch: products in F32, sum in F64.</summary>
    public static float Scalar<T>(ReadOnlySpan<ushort> x, ReadOnlySpan<ushort> y) where T : IHalfWidthFormat
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += T.ToSingle(x[i]) * T.ToSingle(y[i]);
        }

        return (float)sum;
    }

    /// <summary>The AVX2 branch: 4 accumulators of 8 lanes, 32 elements a step, F64 tail.</summary>
    public static float Avx2<T>(ReadOnlySpan<ushort> x, ReadOnlySpan<ushort> y) where T : IHalfWidthFormat
    {
        int n = x.Length;
        int stepped = n & ~31;
        ref ushort xr = ref MemoryMarshal.GetReference(x);
        ref ushort yr = ref MemoryMarshal.GetReference(y);
        Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        for (int i = 0; i < stepped; i += 32)
        {
            s0 = Fma.MultiplyAdd(Load<T>(ref xr, i), Load<T>(ref yr, i), s0);
            s1 = Fma.MultiplyAdd(Load<T>(ref xr, i + 8), Load<T>(ref yr, i + 8), s1);
            s2 = Fma.MultiplyAdd(Load<T>(ref xr, i + 16), Load<T>(ref yr, i + 16), s2);
            s3 = Fma.MultiplyAdd(Load<T>(ref xr, i + 24), Load<T>(ref yr, i + 24), s3);
        }

        double sum = SimdOps.HorizontalSum((s0 + s2) + (s1 + s3));
        for (int i = stepped; i < n; i++)
        {
            sum += T.ToSingle(x[i]) * T.ToSingle(y[i]);
        }

        return (float)sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load<T>(ref ushort source, int index) where T : IHalfWidthFormat =>
        T.Widen(Vector128.LoadUnsafe(ref source, (nuint)index));
}
