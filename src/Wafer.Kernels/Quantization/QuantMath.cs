namespace Wafer.Kernels.Quantization;

/// <summary>Rounding helpers and constants shared by the quantizers, with ggml's exact semantics.</summary>
internal static class QuantMath
{
    /// <summary>Elements per K-quant super-block (ggml's QK_K).</summary>
    public const int SuperBlockSize = 256;

    /// <summary>Below this absolute maximum a group counts as all zero (ggml's GROUP_MAX_EPS).</summary>
    public const float GroupMaxEps = 1e-15f;

    /// <summary>ggml's <c>nearest_int</c>: rounds half to even by adding 1.5·2^23; valid for |value| ≤ 4194303.</summary>
    public static int NearestInt(float value)
    {
        float shifted = value + 12582912f;
        return (BitConverter.SingleToInt32Bits(shifted) & 0x007fffff) - 0x00400000;
    }

    /// <summary>The value of largest magnitude, sign kept (the first one on ties; 0 for none), and that magnitude: the scale
    /// source of ggml's symmetric quantizers (<c>if (ax &gt; amax) { amax = ax; max = x; }</c>).</summary>
    public static float LargestMagnitude(ReadOnlySpan<float> values, out float amax)
    {
        float max = 0;
        amax = 0;
        foreach (float v in values)
        {
            float ax = MathF.Abs(v);
            if (ax > amax)
            {
                amax = ax;
                max = v;
            }
        }
        return max;
    }

    /// <summary>The smallest and largest value (±float.MaxValue for none), as ggml's asymmetric quantizers find them.</summary>
    public static void MinMax(ReadOnlySpan<float> values, out float min, out float max)
    {
        min = float.MaxValue;
        max = -float.MaxValue;
        foreach (float v in values)
        {
            if (v < min) min = v;
            if (v > max) max = v;
        }
    }

    /// <summary>max |x| over <paramref name="values"/> (0 for none), the block scale source of every Q8 quantizer.</summary>
    public static float AbsMax(ReadOnlySpan<float> values)
    {
        float amax = 0.0f;
        foreach (float v in values) amax = MathF.Max(amax, MathF.Abs(v));
        return amax;
    }

    /// <summary>C's <c>roundf</c>: halves round away from zero.</summary>
    public static float RoundAwayFromZero(float value) => MathF.Round(value, MidpointRounding.AwayFromZero);

    /// <summary>The value after a round trip through F16 (GGML_FP16_TO_FP32(GGML_FP32_TO_FP16(x))).</summary>
    public static float ThroughHalf(float value) => (float)(Half)value;

    /// <summary>Throws unless <paramref name="count"/> is a non-negative multiple of <paramref name="blockSize"/>.</summary>
    public static int BlockCount(int count, int blockSize)
    {
        if (count < 0 || count % blockSize != 0)
        {
            throw new ArgumentException($"element count {count} is not a multiple of the block size {blockSize}", nameof(count));
        }

        return count / blockSize;
    }

    /// <summary>Throws unless a span of <paramref name="spanLength"/> bytes holds at least <paramref name="bytes"/> bytes.</summary>
    public static void RequireBytes(int spanLength, long bytes, string name)
    {
        if (spanLength < bytes)
        {
            throw new ArgumentException($"{name} holds {spanLength} bytes but {bytes} are needed", name);
        }
    }
}
