using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Wafer.Kernels.Ops;

/// <summary>F32 dot product and scaled accumulation (axpy) for attention, with scalar twins.</summary>
public static unsafe class VectorMath
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

    /// <summary>scores[t] = <see cref="Dot"/>(x, rows[t·stride ..]) · scale for t &lt; scores.Length: one attention head's scores
    /// over a run of cached keys, each exactly as <see cref="Dot"/> computes it, without a call per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotRows(ReadOnlySpan<float> x, ReadOnlySpan<float> rows, int stride, float scale, Span<float> scores)
    {
        int n = x.Length, count = scores.Length;
        if (count == 0) return;
        if ((long)(count - 1) * stride + n > rows.Length) throw new ArgumentException("rows is shorter than count·stride", nameof(rows));
        fixed (float* px = x)
        fixed (float* pr = rows)
        fixed (float* ps = scores)
        {
            for (int t = 0; t < count; t++) ps[t] = DotPointers(px, pr + (long)t * stride, n) * scale;
        }
    }

    // Dot on pointers: the same partial sums in the same order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DotPointers(float* x, float* y, int n)
    {
        int i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> a = default, b = default;
            for (; i + 16 <= n; i += 16)
            {
                a += Vector256.Load(x + i) * Vector256.Load(y + i);
                b += Vector256.Load(x + i + 8) * Vector256.Load(y + i + 8);
            }
            for (; i + 8 <= n; i += 8) a += Vector256.Load(x + i) * Vector256.Load(y + i);
            sum = Vector256.Sum(a + b);
        }
        for (; i < n; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary>destination += Σ_t weights[t]·rows[t·stride ..] in t order, each step exactly as <see cref="MultiplyAdd"/>: one attention
    /// head's weighted values over a run of cached rows, with the destination held in registers 32 floats at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAddRows(ReadOnlySpan<float> rows, int stride, ReadOnlySpan<float> weights, Span<float> destination)
    {
        int n = destination.Length, count = weights.Length;
        if (count == 0) return;
        if ((long)(count - 1) * stride + n > rows.Length) throw new ArgumentException("rows is shorter than count·stride", nameof(rows));
        fixed (float* pr = rows)
        fixed (float* pw = weights)
        fixed (float* pd = destination)
        {
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; i + 32 <= n; i += 32)
                {
                    Vector256<float> d0 = Vector256.Load(pd + i), d1 = Vector256.Load(pd + i + 8), d2 = Vector256.Load(pd + i + 16), d3 = Vector256.Load(pd + i + 24);
                    float* r = pr + i;
                    for (int t = 0; t < count; t++, r += stride)
                    {
                        var w = Vector256.Create(pw[t]);
                        d0 += w * Vector256.Load(r);
                        d1 += w * Vector256.Load(r + 8);
                        d2 += w * Vector256.Load(r + 16);
                        d3 += w * Vector256.Load(r + 24);
                    }
                    d0.Store(pd + i);
                    d1.Store(pd + i + 8);
                    d2.Store(pd + i + 16);
                    d3.Store(pd + i + 24);
                }
                for (; i + 8 <= n; i += 8)
                {
                    Vector256<float> d = Vector256.Load(pd + i);
                    for (int t = 0; t < count; t++) d += Vector256.Create(pw[t]) * Vector256.Load(pr + (long)t * stride + i);
                    d.Store(pd + i);
                }
            }
            for (; i < n; i++)
                for (int t = 0; t < count; t++) pd[i] += pw[t] * pr[(long)t * stride + i];
        }
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
