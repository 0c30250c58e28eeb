namespace Wafer.Kernels.Ops;

/// <summary>Softmax in place, as ggml's soft_max (max-subtracted exp, double sum, scale by the reciprocal).</summary>
public static class Softmax
{
    /// <summary>values ← softmax(values).</summary>
    public static void InPlace(Span<float> values)
    {
        float max = float.NegativeInfinity;
        foreach (float v in values) max = MathF.Max(max, v);
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            float e = MathF.Exp(values[i] - max);
            values[i] = e;
            sum += e;
        }
        float inverse = (float)(1.0 / sum);
        for (int i = 0; i < values.Length; i++) values[i] *= inverse;
    }

    /// <summary>destination[i] = log-softmax(source)[i], computed in double then rounded.</summary>
    public static void LogSoftmax(ReadOnlySpan<float> source, Span<float> destination)
    {
        float max = float.NegativeInfinity;
        foreach (float v in source) max = MathF.Max(max, v);
        double sum = 0;
        foreach (float v in source) sum += Math.Exp(v - max);
        double logSum = Math.Log(sum);
        for (int i = 0; i < source.Length; i++) destination[i] = (float)(source[i] - max - logSum);
    }
}
