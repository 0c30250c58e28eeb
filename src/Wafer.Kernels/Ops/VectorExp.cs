using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wafer.Kernels.Ops;

/// <summary>e^x 8 lanes at a time for softmax and SiLU, as ggml computes both with a SIMD exp rather than libm's.</summary>
public static class VectorExp
{
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
}
