namespace Wafer.Kernels.Ops;

/// <summary>YaRN rope scaling as ggml applies it: between the correction dimensions <paramref name="CorrectionLow"/> and
/// <paramref name="CorrectionHigh"/> each pair's angle ramps from extrapolated (unscaled) to interpolated (scaled by freqScale);
/// cos and sin are multiplied by <paramref name="Magnitude"/>.</summary>
/// <param name="ExtrapolationFactor">ggml's ext_factor (1 for YaRN; 0 turns the ramp and the magnitude correction off).</param>
/// <param name="Magnitude">ggml's mscale argument (llama.cpp's yarn_attn_factor); with a non-zero ext_factor it is multiplied by
/// 1 + 0.1·ln(1/freqScale) when the angles are made, as ggml does.</param>
public readonly record struct RopeYarn(float CorrectionLow, float CorrectionHigh, float ExtrapolationFactor, float Magnitude)
{
    /// <summary>ggml_rope_yarn_corr_dims: the pair indices where the ramp starts and ends, for rotations of <paramref name="betaFast"/>
    /// and <paramref name="betaSlow"/> turns over <paramref name="originalContext"/> positions.</summary>
    public static (float Low, float High) CorrectionDims(int dims, int originalContext, float freqBase, float betaFast, float betaSlow)
    {
        float start = MathF.Floor(CorrectionDim(dims, originalContext, betaFast, freqBase));
        float end = MathF.Ceiling(CorrectionDim(dims, originalContext, betaSlow, freqBase));
        return (MathF.Max(0, start), MathF.Min(dims - 1, end));
    }

    private static float CorrectionDim(int dims, int originalContext, float rotations, float freqBase) =>
        dims * MathF.Log(originalContext / (rotations * 2 * (float)Math.PI)) / (2 * MathF.Log(freqBase));

    /// <summary>The share of the extrapolated angle for the pair starting at element <paramref name="i0"/> (rope_yarn_ramp × ext_factor).</summary>
    public float Ramp(int i0)
    {
        float y = (i0 / 2 - CorrectionLow) / MathF.Max(0.001f, CorrectionHigh - CorrectionLow);
        return (1 - MathF.Min(1, MathF.Max(0, y))) * ExtrapolationFactor;
    }
}
