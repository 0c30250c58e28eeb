namespace Wafer.Kernels.Quantization;

/// <summary>PLACEHOLDER until the quantization branch lands: F32 only.</summary>
public static class TensorTypes
{
    public static ITensorTypeKernels Get(GgmlType type) =>
        type == GgmlType.F32 ? new F32Kernels() : throw new NotSupportedException($"tensor type {(int)type} ({type}) is not supported by Wafer yet; supported: F32");

    public static bool IsSupported(GgmlType type) => type == GgmlType.F32;

    public static long RowBytes(GgmlType type, long elementCount) => elementCount * 4;

    private sealed class F32Kernels : ITensorTypeKernels
    {
        public GgmlType Type => GgmlType.F32;
        public int BlockSize => 1;
        public int BlockBytes => 4;
        public GgmlType ActivationType => GgmlType.F32;
        public void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
        public void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(source).CopyTo(destination);
        public float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
        {
            var w = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(weights);
            var a = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(activations);
            float s = 0;
            for (int i = 0; i < count; i++) s += w[i] * a[i];
            return s;
        }
    }
}
