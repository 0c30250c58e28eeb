namespace Wafer.Kernels.Quantization;

/// <summary>The kernels of one tensor type: its block layout, conversion to and from F32, and its dot product.</summary>
/// <remarks>
/// Weights stay in their GGUF form. A matrix product first converts the activation row to
/// <see cref="ActivationType"/> (ggml's <c>vec_dot_type</c>: Q8_0, Q8_1, Q8_K, F16, BF16 or F32),
/// then calls <see cref="Dot"/> once per weight row, exactly as ggml does, so results land
/// inside llama.cpp's own rounding noise.
/// </remarks>
public interface ITensorTypeKernels
{
    /// <summary>The type these kernels handle.</summary>
    GgmlType Type { get; }

    /// <summary>Elements per block (1 for F32/F16/BF16, 32 for Q4_0…Q8_1 and IQ4_NL, 256 for K-quants and IQ4_XS).</summary>
    int BlockSize { get; }

    /// <summary>Bytes per block.</summary>
    int BlockBytes { get; }

    /// <summary>The type an activation row is converted to before <see cref="Dot"/> (ggml's vec_dot_type).</summary>
    GgmlType ActivationType { get; }

    /// <summary>Converts <paramref name="source"/> (whole blocks) to F32; destination length = element count.</summary>
    void Dequantize(ReadOnlySpan<byte> source, Span<float> destination);

    /// <summary>Converts F32 values (a multiple of <see cref="BlockSize"/>) to this type, as ggml's reference quantizer does.</summary>
    void Quantize(ReadOnlySpan<float> source, Span<byte> destination);

    /// <summary>Dot product of one weight row in this type with one activation row in <see cref="ActivationType"/>, both <paramref name="count"/> elements long.</summary>
    float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count);
}
