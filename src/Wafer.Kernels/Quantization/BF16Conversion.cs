namespace Wafer.Kernels.Quantization;

/// <summary>BF16 ↔ F32 conversions with ggml's rounding (GGML_FP32_TO_BF16 / GGML_BF16_TO_FP32).</summary>
public static class BF16Conversion
{
    /// <summary>Rounds to nearest even; a NaN keeps its upper bits and is forced quiet (mirrors <c>ggml_compute_fp32_to_bf16</c>).</summary>
    public static ushort FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7fffffff) > 0x7f800000)
        {
            return (ushort)((bits >> 16) | 64);
        }

        return (ushort)((bits + (0x7fff + ((bits >> 16) & 1))) >> 16);
    }

    /// <summary>Exact widening: the 16 bits become the upper half of an F32.</summary>
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);
}
