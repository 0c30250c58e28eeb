using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Wafer.Kernels.Ops;

/// <summary>F32 dot product and scaled accumulation (axpy) for attention, with scalar twins.</summary>
public static class VectorMath
{
    /// <summary>Σ x[i]·y[i] (Vector512 → Vector256 → scalar; 4 partial sums per vector width).</summary>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("y is shorter than x", nameof(y));
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> a = default, b = default;
            for (; i + 16 <= n; i += 16)
            {
                a += Vector256.LoadUnsafe(ref px, (nuint)i) * Vector256.LoadUnsafe(ref py, (nuint)i);
                b += Vector256.LoadUnsafe(ref px, (nuint)i + 8) * Vector256.LoadUnsafe(ref py, (nuint)i + 8);
            }
            for (; i + 8 <= n; i += 8) a += Vector256.LoadUnsafe(ref px, (nuint)i) * Vector256.LoadUnsafe(ref py, (nuint)i);
            sum = Vector256.Sum(a + b);
        }
        for (; i < n; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary>The scalar twin of <see cref="Dot"/>.</summary>
    public static float DotScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        float sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary>The largest value (−∞ for none); a NaN anywhere gives NaN, as a fold of <see cref="MathF.Max(float, float)"/> does.</summary>
    public static float Max(ReadOnlySpan<float> values)
    {
        ref float p = ref MemoryMarshal.GetReference(values);
        int n = values.Length, i = 0;
        float max = float.NegativeInfinity;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var m = Vector256.LoadUnsafe(ref p);
            for (i = 8; i + 8 <= n; i += 8) m = Vector256.Max(m, Vector256.LoadUnsafe(ref p, (nuint)i));
            for (int l = 0; l < 8; l++) max = MathF.Max(max, m[l]);
        }
        for (; i < n; i++) max = MathF.Max(max, values[i]);
        return max;
    }

    /// <summary>The scalar twin of <see cref="Max"/>.</summary>
    public static float MaxScalar(ReadOnlySpan<float> values)
    {
        float max = float.NegativeInfinity;
        foreach (float v in values) max = MathF.Max(max, v);
        return max;
    }

    /// <summary>values[i] *= a.</summary>
    public static void Scale(Span<float> values, float a)
    {
        ref float p = ref MemoryMarshal.GetReference(values);
        int n = values.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            for (; i + 8 <= n; i += 8) (Vector256.LoadUnsafe(ref p, (nuint)i) * va).StoreUnsafe(ref p, (nuint)i);
        }
        for (; i < n; i++) values[i] *= a;
    }

    /// <summary>destination[i] += a·x[i].</summary>
    public static void MultiplyAdd(ReadOnlySpan<float> x, float a, Span<float> destination)
    {
        if (x.Length < destination.Length) throw new ArgumentException("x is shorter than destination", nameof(x));
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pd = ref MemoryMarshal.GetReference(destination);
        int n = destination.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            for (; i + 8 <= n; i += 8)
                (Vector256.LoadUnsafe(ref pd, (nuint)i) + va * Vector256.LoadUnsafe(ref px, (nuint)i)).StoreUnsafe(ref pd, (nuint)i);
        }
        for (; i < n; i++) destination[i] += a * x[i];
    }

    /// <summary>The scalar twin of <see cref="MultiplyAdd"/>.</summary>
    public static void MultiplyAddScalar(ReadOnlySpan<float> x, float a, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] += a * x[i];
    }
}
