namespace Wafer.Kernels.Quantization;

/// <summary>Converts a row of whole blocks to F32.</summary>
internal delegate void DequantizeRow(ReadOnlySpan<byte> source, Span<float> destination);

/// <summary>Converts F32 values (whole blocks) to a tensor type.</summary>
internal delegate void QuantizeRow(ReadOnlySpan<float> source, Span<byte> destination);

/// <summary>Dot product of a weight row with an activation row.</summary>
internal delegate float DotRow(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count);

/// <summary>An <see cref="ITensorTypeKernels"/> assembled from one type's static kernels.</summary>
internal sealed class TensorTypeKernels(
    GgmlType type, int blockSize, int blockBytes, GgmlType activationType, DequantizeRow dequantize, QuantizeRow quantize, DotRow dot)
    : ITensorTypeKernels
{
    public GgmlType Type => type;

    public int BlockSize => blockSize;

    public int BlockBytes => blockBytes;

    public GgmlType ActivationType => activationType;

    public void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => dequantize(source, destination);

    public void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => quantize(source, destination);

    public float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) => dot(weights, activations, count);
}
