namespace Wafer.Kernels.Ops;

/// <summary>Rotary position embedding, computed as ggml's rope_f32 does.</summary>
public static class Rope
{
    /// <summary>Fills <paramref name="cosSin"/> [dims/2, 2] with cos/sin of each pair's angle at <paramref name="position"/>.</summary>
    /// <remarks>theta_i = position · base^(−2i/dims) / freqFactor_i · freqScale; the power is built by repeated
    /// float multiplication, exactly as ggml builds it, so angles match bit for bit.</remarks>
    public static void Angles(int position, int dims, float freqBase, float freqScale, ReadOnlySpan<float> freqFactors, Span<float> cosSin)
    {
        float thetaScale = MathF.Pow(freqBase, -2.0f / dims);
        float theta = position;
        for (int i = 0; i < dims / 2; i++)
        {
            float factor = freqFactors.IsEmpty ? 1.0f : freqFactors[i];
            float angle = freqScale * (theta / factor);
            cosSin[2 * i] = MathF.Cos(angle);
            cosSin[2 * i + 1] = MathF.Sin(angle);
            theta *= thetaScale;
        }
    }

    /// <summary>As <see cref="Angles(int, int, float, float, ReadOnlySpan{float}, Span{float})"/> with YaRN scaling (ggml's
    /// rope_yarn): each pair's angle mixes the interpolated angle (× freqScale) with the extrapolated one by the ramp, and cos and
    /// sin are scaled by the magnitude.</summary>
    public static void Angles(int position, int dims, float freqBase, float freqScale, ReadOnlySpan<float> freqFactors, RopeYarn yarn, Span<float> cosSin)
    {
        float thetaScale = MathF.Pow(freqBase, -2.0f / dims);
        float mscale = yarn.Magnitude;
        if (yarn.ExtrapolationFactor != 0) mscale *= 1.0f + 0.1f * MathF.Log(1.0f / freqScale);
        float theta = position;
        for (int i = 0; i < dims / 2; i++)
        {
            float factor = freqFactors.IsEmpty ? 1.0f : freqFactors[i];
            float extrapolated = theta / factor;
            float interpolated = freqScale * extrapolated;
            float angle = interpolated;
            if (yarn.ExtrapolationFactor != 0)
            {
                float mix = yarn.Ramp(2 * i);
                angle = interpolated * (1 - mix) + extrapolated * mix;
            }
            cosSin[2 * i] = MathF.Cos(angle) * mscale;
            cosSin[2 * i + 1] = MathF.Sin(angle) * mscale;
            theta *= thetaScale;
        }
    }

    /// <summary>Rotates each head of <paramref name="heads"/> [headCount, headDim]; <paramref name="neox"/> pairs
    /// element i with i + dims/2 (GPT-NeoX, Qwen), otherwise adjacent elements (Llama).</summary>
    public static void Apply(Span<float> heads, int headDim, int dims, ReadOnlySpan<float> cosSin, bool neox)
    {
        int half = dims / 2;
        for (int h = 0; h + headDim <= heads.Length; h += headDim)
        {
            var head = heads.Slice(h, headDim);
            for (int i = 0; i < half; i++)
            {
                int a = neox ? i : 2 * i;
                int b = neox ? i + half : 2 * i + 1;
                float cos = cosSin[2 * i], sin = cosSin[2 * i + 1];
                float x0 = head[a], x1 = head[b];
                head[a] = x0 * cos - x1 * sin;
                head[b] = x0 * sin + x1 * cos;
            }
        }
    }
}
