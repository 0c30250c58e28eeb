using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wafer.Kernels.Ops;

/// <summary>Softmax in place, as ggml's soft_max (max-subtracted exp, double sum, scale by the reciprocal), and log-softmax.</summary>
public static class Softmax
{
    /// <summary>values ← softmax(values).</summary>
    /// <remarks>Exp runs 8 lanes at a time (<see cref="Exp"/>, within 2 ulp of exp; ggml's soft_max uses a SIMD exp too), and the
    /// sum is kept in 8 double lanes; <see cref="InPlaceScalar"/> is the twin, bit for bit.</remarks>
    public static void InPlace(Span<float> values)
    {
        if (!Fma.IsSupported)
        {
            InPlaceScalar(values);
            return;
        }
        float max = VectorMath.Max(values);
        ref float p = ref MemoryMarshal.GetReference(values);
        int n = values.Length, i = 0;
        var shift = Vector256.Create(max);
        Vector256<double> low = default, high = default;
        for (; i + 8 <= n; i += 8)
        {
            Vector256<float> e = Exp(Vector256.LoadUnsafe(ref p, (nuint)i) - shift);
            e.StoreUnsafe(ref p, (nuint)i);
            low += Avx.ConvertToVector256Double(e.GetLower());
            high += Avx.ConvertToVector256Double(e.GetUpper());
        }
        Vector256<double> lanes = low + high;
        double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        for (; i < n; i++)
        {
            float e = ExpScalar(values[i] - max);
            values[i] = e;
            sum += e;
        }
        VectorMath.Scale(values, (float)(1.0 / sum));
    }

    /// <summary>The scalar twin of <see cref="InPlace"/>: the same exp and the same double lanes.</summary>
    public static void InPlaceScalar(Span<float> values)
    {
        float max = VectorMath.MaxScalar(values);
        int n = values.Length, vectorized = n & ~7;
        Span<double> lanes = stackalloc double[8];
        lanes.Clear();
        for (int i = 0; i < vectorized; i++)
        {
            values[i] = ExpScalar(values[i] - max);
            lanes[i % 8] += values[i];
        }
        double sum = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
        for (int i = vectorized; i < n; i++)
        {
            values[i] = ExpScalar(values[i] - max);
            sum += values[i];
        }
        float scale = (float)(1.0 / sum);
        for (int i = 0; i < n; i++) values[i] *= scale;
    }

    // e^x = 2^k · e^r with k = round(x·log2 e) and r = x − k·ln 2 (ln 2 in two parts, so r is exact to a few ulp); e^r by
    // Cephes' degree-7 expf polynomial, 1 + r + r²·P(r). Inputs below ln 2^-126 give 0, above 88 are clamped.
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f;        // few bits, so k·Ln2High is exact
    private const float Ln2Low = -2.12194440e-4f;
    private const float Smallest = -87.33654475f;      // ln 2^-126: below it the result would not be a normal float
    private const float Largest = 88.0f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /// <summary>e^x for 8 lanes (FMA), within 2 ulp for x in [−87.3, 88]; 0 below, e^88 above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        Vector256<float> underflow = Vector256.LessThan(x, Vector256.Create(Smallest));
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(Smallest)), Vector256.Create(Largest));
        Vector256<float> k = Avx.RoundToNearestInteger(x * Vector256.Create(Log2E));
        Vector256<float> r = Fma.MultiplyAddNegated(k, Vector256.Create(Ln2High), x);
        r = Fma.MultiplyAddNegated(k, Vector256.Create(Ln2Low), r);
        Vector256<float> poly = Fma.MultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        poly = Fma.MultiplyAdd(poly, r, Vector256.Create(P2));
        poly = Fma.MultiplyAdd(poly, r, Vector256.Create(P3));
        poly = Fma.MultiplyAdd(poly, r, Vector256.Create(P4));
        poly = Fma.MultiplyAdd(poly, r, Vector256.Create(P5));
        Vector256<float> y = Fma.MultiplyAdd(poly, r * r, r) + Vector256.Create(1f);
        Vector256<float> power = ((Avx.ConvertToVector256Int32(k) + Vector256.Create(127)) << 23).AsSingle();
        return Vector256.AndNot(y * power, underflow);
    }

    /// <summary>The scalar twin of <see cref="Exp"/>.</summary>
    public static float ExpScalar(float x)
    {
        if (x < Smallest) return 0;
        x = MathF.Min(x, Largest);
        float k = MathF.Round(x * Log2E, MidpointRounding.ToEven);
        float r = MathF.FusedMultiplyAdd(-k, Ln2High, x);
        r = MathF.FusedMultiplyAdd(-k, Ln2Low, r);
        float poly = MathF.FusedMultiplyAdd(P0, r, P1);
        poly = MathF.FusedMultiplyAdd(poly, r, P2);
        poly = MathF.FusedMultiplyAdd(poly, r, P3);
        poly = MathF.FusedMultiplyAdd(poly, r, P4);
        poly = MathF.FusedMultiplyAdd(poly, r, P5);
        float y = MathF.FusedMultiplyAdd(poly, r * r, r) + 1f;
        return y * BitConverter.Int32BitsToSingle(((int)k + 127) << 23);
    }

    /// <summary>destination[i] = log-softmax(source)[i], computed in double then rounded.</summary>
    public static void LogSoftmax(ReadOnlySpan<float> source, Span<float> destination)
    {
        float max = VectorMath.Max(source);
        double sum = 0;
        foreach (float v in source) sum += Math.Exp(v - max);
        double logSum = Math.Log(sum);
        for (int i = 0; i < source.Length; i++) destination[i] = (float)(source[i] - max - logSum);
    }
}
