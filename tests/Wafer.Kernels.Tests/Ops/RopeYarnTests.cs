using Wafer.Kernels.Ops;

namespace Wafer.Kernels.Tests.Ops;

/// <summary>YaRN rope angles as ggml computes them: the correction dimensions, the ramp, and the reduction to plain (linear)
/// rope when the ramp and the magnitude are off.</summary>
public sealed class RopeYarnTests
{
    [Fact]
    public void CorrectionDims_Stories260KShape_AsGgml()
    {
        // 8 rotated dims, base 10000, 128 original positions: dims·ln(128/(β·2π))/(2·ln 10000) = −0.196 (β 32) and 1.309 (β 1).
        Assert.Equal((0f, 2f), RopeYarn.CorrectionDims(8, 128, 10000, 32, 1));
        // Qwen2 shape: 32 dims, base 1e6, 512 positions: 1.083 → 1 and 5.096 → 6.
        Assert.Equal((1f, 6f), RopeYarn.CorrectionDims(32, 512, 1_000_000, 32, 1));
    }

    [Theory]
    [InlineData(0, 1.0f)]
    [InlineData(2, 0.5f)]
    [InlineData(4, 0.0f)]
    [InlineData(6, 0.0f)]
    public void Ramp_BetweenCorrectionDims_FallsFromOneToZero(int i0, float expected) =>
        Assert.Equal(expected, new RopeYarn(0, 2, 1, 1).Ramp(i0));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(37)]
    [InlineData(511)]
    public void Angles_NoRampUnitMagnitude_EqualPlainRope(int position)
    {
        var plain = new float[16];
        var yarn = new float[16];
        Rope.Angles(position, 16, 10000, 0.25f, [], plain);
        Rope.Angles(position, 16, 10000, 0.25f, [], new RopeYarn(0, 0, 0, 1), yarn);
        Assert.Equal(plain, yarn);
    }

    [Fact]
    public void Angles_Yarn_LowPairsExtrapolateHighPairsInterpolate_ScaledByMagnitude()
    {
        const int dims = 16, position = 100;
        const float scale = 0.25f;
        var yarn = new RopeYarn(2, 5, 1, 1);
        var cosSin = new float[dims];
        Rope.Angles(position, dims, 10000, scale, [], yarn, cosSin);
        float mscale = 1.0f + 0.1f * MathF.Log(1.0f / scale);
        float thetaScale = MathF.Pow(10000, -2.0f / dims), theta = position;
        for (int i = 0; i < dims / 2; i++)
        {
            float mix = yarn.Ramp(2 * i);
            float angle = scale * theta * (1 - mix) + theta * mix;
            Assert.Equal(MathF.Cos(angle) * mscale, cosSin[2 * i]);
            Assert.Equal(MathF.Sin(angle) * mscale, cosSin[2 * i + 1]);
            if (i <= 2) Assert.Equal(1f, mix);      // below the low correction dim: the unscaled angle
            if (i >= 5) Assert.Equal(0f, mix);      // above the high one: the interpolated angle
            theta *= thetaScale;
        }
    }
}
