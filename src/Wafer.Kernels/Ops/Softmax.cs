namespace Wafer.Kernels.Ops;

/// <summary>Softmax in place, as ggml's soft_max (max-subtracted exp, double sum, scale by the reciprocal).</summary>
public static class Softmax
{
    /// <summary>values ← softmax(values).</summary>
    /// <remarks>The max and the final scaling are vectorized (both exact in any order); exp and the double sum stay sequential,
    /// so the result is the scalar one bit for bit.</remarks>
    public static void InPlace(Span<float> values)
    {
        float max = VectorMath.Max(values);
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            float e = MathF.Exp(values[i] - max);
            values[i] = e;
            sum += e;
        }
        VectorMath.Scale(values, (float)(1.0 / sum));
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
