namespace Wafer.Kernels.Quantization;

/// <summary>Converts an F32 activation row to a weight's <see cref="ITensorTypeKernels.ActivationType"/>, as ggml's x86 CPU backend does (its <c>from_float</c>).</summary>
/// <remarks>
/// Q8_0 and Q8_1 use the AVX2 quantizers (id = 127/amax, round half to even), not the reference ones
/// that write model files (roundf of x/d); Q8_K uses quantize_row_q8_K_ref on x86 as well.
/// </remarks>
public static class ActivationQuantizer
{
    /// <summary>Quantizes <paramref name="source"/> to <paramref name="activationType"/> into <paramref name="destination"/> (TensorTypes.RowBytes bytes).</summary>
    /// <exception cref="NotSupportedException"><paramref name="activationType"/> is not one of F32, F16, BF16, Q8_0, Q8_1, Q8_K.</exception>
    public static void Quantize(GgmlType activationType, ReadOnlySpan<float> source, Span<byte> destination)
    {
        switch (activationType)
        {
            case GgmlType.F32: F32Kernels.Quantize(source, destination); break;
            case GgmlType.F16: F16Kernels.Quantize(source, destination); break;
            case GgmlType.BF16: BF16Kernels.Quantize(source, destination); break;
            case GgmlType.Q8_0: Q8_0Kernels.QuantizeActivation(source, destination); break;
            case GgmlType.Q8_1: Q8_1Kernels.QuantizeActivation(source, destination); break;
            case GgmlType.Q8_K: Q8_KKernels.Quantize(source, destination); break;
            default:
                throw new NotSupportedException($"tensor type {(int)activationType} ({activationType}) is not an activation type; expected F32, F16, BF16, Q8_0, Q8_1 or Q8_K");
        }
    }
}
