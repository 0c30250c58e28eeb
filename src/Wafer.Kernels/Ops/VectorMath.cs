using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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

    /// <summary>scores[t] = x·rows[t·stride ..] · scale for t &lt; scores.Length: one attention head's scores over a run of cached keys.</summary>
    /// <remarks>With FMA and a length that is a multiple of 8 (every head size), 8 rows at a time: each row's 8 lanes accumulate
    /// by FMA, and one transposing reduction sums the 8 rows' lanes into 8 scores, each as
    /// ((l0+l4)+(l1+l5))+((l2+l6)+(l3+l7)) (<see cref="DotRowsScalar"/> is its twin). That spends about a third of the
    /// instructions of a dot product and a horizontal sum per row. Otherwise each score is <see cref="Dot"/>·scale.</remarks>
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
            if (!Fma.IsSupported || n % 8 != 0 || n == 0)
            {
                for (int t = 0; t < count; t++) ps[t] = Dot(x, new ReadOnlySpan<float>(pr + (long)t * stride, n)) * scale;
                return;
            }
            var factor = Vector256.Create(scale);
            int row = 0;
            for (; row + 8 <= count; row += 8)
            {
                float* r0 = pr + (long)row * stride, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
                float* r4 = r3 + stride, r5 = r4 + stride, r6 = r5 + stride, r7 = r6 + stride;
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                for (int i = 0; i < n; i += 8)
                {
                    var q = Vector256.Load(px + i);
                    a0 = Fma.MultiplyAdd(q, Vector256.Load(r0 + i), a0);
                    a1 = Fma.MultiplyAdd(q, Vector256.Load(r1 + i), a1);
                    a2 = Fma.MultiplyAdd(q, Vector256.Load(r2 + i), a2);
                    a3 = Fma.MultiplyAdd(q, Vector256.Load(r3 + i), a3);
                    a4 = Fma.MultiplyAdd(q, Vector256.Load(r4 + i), a4);
                    a5 = Fma.MultiplyAdd(q, Vector256.Load(r5 + i), a5);
                    a6 = Fma.MultiplyAdd(q, Vector256.Load(r6 + i), a6);
                    a7 = Fma.MultiplyAdd(q, Vector256.Load(r7 + i), a7);
                }
                // Lane k of c_k = the half sums of row k (lanes 0–3) and of row k+4 (lanes 4–7); two rounds of pairwise adds finish them.
                Vector256<float> c0 = Avx.Permute2x128(a0, a4, 0x20) + Avx.Permute2x128(a0, a4, 0x31);
                Vector256<float> c1 = Avx.Permute2x128(a1, a5, 0x20) + Avx.Permute2x128(a1, a5, 0x31);
                Vector256<float> c2 = Avx.Permute2x128(a2, a6, 0x20) + Avx.Permute2x128(a2, a6, 0x31);
                Vector256<float> c3 = Avx.Permute2x128(a3, a7, 0x20) + Avx.Permute2x128(a3, a7, 0x31);
                Vector256<float> sums = Avx.HorizontalAdd(Avx.HorizontalAdd(c0, c1), Avx.HorizontalAdd(c2, c3));
                (sums * factor).Store(ps + row);
            }
            for (; row < count; row++)
            {
                float* r = pr + (long)row * stride;
                Vector256<float> a = default;
                for (int i = 0; i < n; i += 8) a = Fma.MultiplyAdd(Vector256.Load(px + i), Vector256.Load(r + i), a);
                Vector128<float> half = a.GetLower() + a.GetUpper();
                Vector128<float> pairs = Sse3.HorizontalAdd(half, half);
                ps[row] = (pairs.ToScalar() + pairs.GetElement(1)) * scale;
            }
        }
    }

    /// <summary>The scalar twin of <see cref="DotRows"/>'s FMA path (lengths that are multiples of 8), lane for lane.</summary>
    public static void DotRowsScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> rows, int stride, float scale, Span<float> scores)
    {
        Span<float> lanes = stackalloc float[8];
        for (int t = 0; t < scores.Length; t++)
        {
            lanes.Clear();
            for (int i = 0; i < x.Length; i++) lanes[i % 8] = MathF.FusedMultiplyAdd(x[i], rows[t * stride + i], lanes[i % 8]);
            scores[t] = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5]) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]))) * scale;
        }
    }

    /// <summary>destination += Σ_t weights[t]·rows[t·stride ..] in t order, one FMA per element and row (<see cref="MultiplyAddRowsScalar"/>
    /// is its twin): one attention head's weighted values over a run of cached rows, with the destination held in registers
    /// 64 floats at a time.</summary>
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
            if (Fma.IsSupported)
            {
                for (; i + 64 <= n; i += 64)
                {
                    float* d = pd + i;
                    Vector256<float> d0 = Vector256.Load(d), d1 = Vector256.Load(d + 8), d2 = Vector256.Load(d + 16), d3 = Vector256.Load(d + 24);
                    Vector256<float> d4 = Vector256.Load(d + 32), d5 = Vector256.Load(d + 40), d6 = Vector256.Load(d + 48), d7 = Vector256.Load(d + 56);
                    float* r = pr + i;
                    for (int t = 0; t < count; t++, r += stride)
                    {
                        var w = Vector256.Create(pw[t]);
                        d0 = Fma.MultiplyAdd(w, Vector256.Load(r), d0);
                        d1 = Fma.MultiplyAdd(w, Vector256.Load(r + 8), d1);
                        d2 = Fma.MultiplyAdd(w, Vector256.Load(r + 16), d2);
                        d3 = Fma.MultiplyAdd(w, Vector256.Load(r + 24), d3);
                        d4 = Fma.MultiplyAdd(w, Vector256.Load(r + 32), d4);
                        d5 = Fma.MultiplyAdd(w, Vector256.Load(r + 40), d5);
                        d6 = Fma.MultiplyAdd(w, Vector256.Load(r + 48), d6);
                        d7 = Fma.MultiplyAdd(w, Vector256.Load(r + 56), d7);
                    }
                    d0.Store(d); d1.Store(d + 8); d2.Store(d + 16); d3.Store(d + 24);
                    d4.Store(d + 32); d5.Store(d + 40); d6.Store(d + 48); d7.Store(d + 56);
                }
                for (; i + 8 <= n; i += 8)
                {
                    Vector256<float> d = Vector256.Load(pd + i);
                    for (int t = 0; t < count; t++) d = Fma.MultiplyAdd(Vector256.Create(pw[t]), Vector256.Load(pr + (long)t * stride + i), d);
                    d.Store(pd + i);
                }
            }
            for (; i < n; i++)
                for (int t = 0; t < count; t++) pd[i] = MathF.FusedMultiplyAdd(pw[t], pr[(long)t * stride + i], pd[i]);
        }
    }

    /// <summary>The scalar twin of <see cref="MultiplyAddRows"/>.</summary>
    public static void MultiplyAddRowsScalar(ReadOnlySpan<float> rows, int stride, ReadOnlySpan<float> weights, Span<float> destination)
    {
        for (int t = 0; t < weights.Length; t++)
            for (int i = 0; i < destination.Length; i++) destination[i] = MathF.FusedMultiplyAdd(weights[t], rows[t * stride + i], destination[i]);
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
