using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wafer.Kernels.Ops;

/// <summary>Softmax in place, as ggml's soft_max (max-subtracted exp, double sum, scale by the reciprocal), and log-softmax.</summary>
public static class Softmax
{
    /// <summary>values ← softmax(values).</summary>
    /// <remarks>Exp runs 8 lanes at a time (<see cref="VectorExp.Exp"/>, within 2 ulp of exp; ggml's soft_max uses a SIMD exp too), and the
    /// sum is kept in 8 double lanes; <see cref="InPlaceScalar"/> is the twin, bit for bit.</remarks>
    public static void InPlace(Span<float> values)
    {
        if (!Fma.IsSupported)
        {
            InPlaceScalar(values);
            return;
        }
        double sum = ExpInPlace(values, VectorMath.Max(values));
        VectorMath.Scale(values, (float)(1.0 / sum));
    }

    /// <summary>values ← exp(values − <paramref name="max"/>); returns their sum (the unnormalized half of <see cref="InPlace"/>, for
    /// softmax taken a chunk at a time). <see cref="ExpInPlaceScalar"/> is the twin, bit for bit.</summary>
    public static double ExpInPlace(Span<float> values, float max)
    {
        if (!Fma.IsSupported) return ExpInPlaceScalar(values, max);
        ref float p = ref MemoryMarshal.GetReference(values);
        int n = values.Length, i = 0;
        var shift = Vector256.Create(max);
        Vector256<double> low = default, high = default;
        for (; i + 8 <= n; i += 8)
        {
            Vector256<float> e = VectorExp.Exp(Vector256.LoadUnsafe(ref p, (nuint)i) - shift);
            e.StoreUnsafe(ref p, (nuint)i);
            low += Avx.ConvertToVector256Double(e.GetLower());
            high += Avx.ConvertToVector256Double(e.GetUpper());
        }
        Vector256<double> lanes = low + high;
        double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        for (; i < n; i++)
        {
            float e = VectorExp.ExpScalar(values[i] - max);
            values[i] = e;
            sum += e;
        }
        return sum;
    }

    /// <summary>The scalar twin of <see cref="InPlace"/>: the same exp and the same double lanes.</summary>
    public static void InPlaceScalar(Span<float> values)
    {
        double sum = ExpInPlaceScalar(values, VectorMath.MaxScalar(values));
        float scale = (float)(1.0 / sum);
        for (int i = 0; i < values.Length; i++) values[i] *= scale;
    }

    /// <summary>The scalar twin of <see cref="ExpInPlace"/>: the same exp and the same double lanes.</summary>
    public static double ExpInPlaceScalar(Span<float> values, float max)
    {
        int n = values.Length, vectorized = n & ~7;
        Span<double> lanes = stackalloc double[8];
        lanes.Clear();
        for (int i = 0; i < vectorized; i++)
        {
            values[i] = VectorExp.ExpScalar(values[i] - max);
            lanes[i % 8] += values[i];
        }
        double sum = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
        for (int i = vectorized; i < n; i++)
        {
            values[i] = VectorExp.ExpScalar(values[i] - max);
            sum += values[i];
        }
        return sum;
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
