namespace Wafer.Kernels.Ops;

/// <summary>RMS normalisation with a weight, as ggml's rms_norm followed by mul.</summary>
public static class RmsNorm
{
    /// <summary>destination[i] = source[i] / sqrt(mean(source²) + epsilon) * weight[i].</summary>
    /// <remarks>The sum of squares accumulates in double, as ggml's <c>ggml_float</c> does; the scale is
    /// applied first and the weight second, each rounded to float, to land on ggml's values.</remarks>
    public static void Apply(ReadOnlySpan<float> source, ReadOnlySpan<float> weight, float epsilon, Span<float> destination)
    {
        float scale = Scale(source, epsilon);
        for (int i = 0; i < source.Length; i++) destination[i] = source[i] * scale * weight[i];
    }

    /// <summary>1 / sqrt(mean(source²) + epsilon).</summary>
    public static float Scale(ReadOnlySpan<float> source, float epsilon)
    {
        double sum = 0;
        for (int i = 0; i < source.Length; i++) sum += source[i] * source[i];
        float mean = (float)(sum / source.Length);
        return 1.0f / MathF.Sqrt(mean + epsilon);
    }
}
