using System.Collections.Frozen;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>The registry of tensor types: sizes of every ggml type, and kernels for those Wafer computes with.</summary>
public static class TensorTypes
{
    private static readonly FrozenDictionary<GgmlType, (int BlockSize, int BlockBytes)> Layouts = new Dictionary<GgmlType, (int, int)>
    {
        [GgmlType.F32] = (1, 4),
        [GgmlType.F16] = (1, 2),
        [GgmlType.Q4_0] = (32, BlockQ4_0.ByteCount),
        [GgmlType.Q4_1] = (32, BlockQ4_1.ByteCount),
        [GgmlType.Q5_0] = (32, BlockQ5_0.ByteCount),
        [GgmlType.Q5_1] = (32, BlockQ5_1.ByteCount),
        [GgmlType.Q8_0] = (32, BlockQ8_0.ByteCount),
        [GgmlType.Q8_1] = (32, BlockQ8_1.ByteCount),
        [GgmlType.Q2_K] = (256, BlockQ2K.ByteCount),
        [GgmlType.Q3_K] = (256, BlockQ3K.ByteCount),
        [GgmlType.Q4_K] = (256, BlockQ4K.ByteCount),
        [GgmlType.Q5_K] = (256, BlockQ5K.ByteCount),
        [GgmlType.Q6_K] = (256, BlockQ6K.ByteCount),
        [GgmlType.Q8_K] = (256, BlockQ8K.ByteCount),
        [GgmlType.IQ2_XXS] = (256, 66),
        [GgmlType.IQ2_XS] = (256, 74),
        [GgmlType.IQ3_XXS] = (256, 98),
        [GgmlType.IQ1_S] = (256, 50),
        [GgmlType.IQ4_NL] = (32, BlockIQ4NL.ByteCount),
        [GgmlType.IQ3_S] = (256, 110),
        [GgmlType.IQ2_S] = (256, 82),
        [GgmlType.IQ4_XS] = (256, BlockIQ4XS.ByteCount),
        [GgmlType.I8] = (1, 1),
        [GgmlType.I16] = (1, 2),
        [GgmlType.I32] = (1, 4),
        [GgmlType.I64] = (1, 8),
        [GgmlType.F64] = (1, 8),
        [GgmlType.IQ1_M] = (256, 56),
        [GgmlType.BF16] = (1, 2),
        [GgmlType.TQ1_0] = (256, 54),
        [GgmlType.TQ2_0] = (256, 66),
        [GgmlType.MXFP4] = (32, 17),
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<GgmlType, ITensorTypeKernels> Kernels = new ITensorTypeKernels[]
    {
        Make(GgmlType.F32, GgmlType.F32, F32Kernels.Dequantize, F32Kernels.Quantize, F32Kernels.Dot),
        Make(GgmlType.F16, GgmlType.F16, F16Kernels.Dequantize, F16Kernels.Quantize, F16Kernels.Dot),
        Make(GgmlType.BF16, GgmlType.BF16, BF16Kernels.Dequantize, BF16Kernels.Quantize, BF16Kernels.Dot),
        Make(GgmlType.Q8_0, GgmlType.Q8_0, Q8_0Kernels.Dequantize, Q8_0Kernels.Quantize, Q8_0Kernels.Dot),
        Make(GgmlType.Q4_0, GgmlType.Q8_0, Q4_0Kernels.Dequantize, Q4_0Kernels.Quantize, Q4_0Kernels.Dot),
        Make(GgmlType.Q4_1, GgmlType.Q8_1, Q4_1Kernels.Dequantize, Q4_1Kernels.Quantize, Q4_1Kernels.Dot),
        Make(GgmlType.Q5_0, GgmlType.Q8_0, Q5_0Kernels.Dequantize, Q5_0Kernels.Quantize, Q5_0Kernels.Dot),
        Make(GgmlType.Q5_1, GgmlType.Q8_1, Q5_1Kernels.Dequantize, Q5_1Kernels.Quantize, Q5_1Kernels.Dot),
        Make(GgmlType.Q2_K, GgmlType.Q8_K, Q2KKernels.Dequantize, Q2KKernels.Quantize, Q2KKernels.Dot),
        Make(GgmlType.Q3_K, GgmlType.Q8_K, Q3KKernels.Dequantize, Q3KKernels.Quantize, Q3KKernels.Dot),
        Make(GgmlType.Q4_K, GgmlType.Q8_K, Q4KKernels.Dequantize, Q4KKernels.Quantize, Q4KKernels.Dot),
        Make(GgmlType.Q5_K, GgmlType.Q8_K, Q5KKernels.Dequantize, Q5KKernels.Quantize, Q5KKernels.Dot),
        Make(GgmlType.Q6_K, GgmlType.Q8_K, Q6KKernels.Dequantize, Q6KKernels.Quantize, Q6KKernels.Dot),
        Make(GgmlType.IQ4_NL, GgmlType.Q8_0, IQ4NLKernels.Dequantize, IQ4NLKernels.Quantize, IQ4NLKernels.Dot),
        Make(GgmlType.IQ4_XS, GgmlType.Q8_K, IQ4XSKernels.Dequantize, IQ4XSKernels.Quantize, IQ4XSKernels.Dot),
        Make(GgmlType.Q8_1, GgmlType.Q8_1, Q8_1Kernels.Dequantize, Q8_1Kernels.Quantize, Q8_1Kernels.Dot),
        Make(GgmlType.Q8_K, GgmlType.Q8_K, Q8_KKernels.Dequantize, Q8_KKernels.Quantize, Q8_KKernels.Dot),
    }.ToFrozenDictionary(k => k.Type);

    /// <summary>Weight types Wafer can compute with, in ggml id order.</summary>
    public static IReadOnlyList<GgmlType> Supported { get; } =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.BF16,
    ];

    /// <summary>True when <paramref name="type"/> is a weight type Wafer computes with (Q8_1 and Q8_K are activation-only).</summary>
    public static bool IsSupported(GgmlType type) => Supported.Contains(type);

    /// <summary>The kernels of <paramref name="type"/>; also returns the activation-only Q8_1 and Q8_K, whose Dot throws.</summary>
    /// <exception cref="NotSupportedException">Wafer has no kernels for <paramref name="type"/>.</exception>
    public static ITensorTypeKernels Get(GgmlType type) =>
        Kernels.TryGetValue(type, out ITensorTypeKernels? kernels) ? kernels : throw Unsupported(type);

    /// <summary>True when <paramref name="type"/> is a ggml type whose block layout is known (computable or not).</summary>
    public static bool HasLayout(GgmlType type) => Layouts.ContainsKey(type);

    /// <summary>Elements per block of any ggml type (1 for plain scalars).</summary>
    public static int BlockSize(GgmlType type) => Layout(type).BlockSize;

    /// <summary>Bytes per block of any ggml type.</summary>
    public static int BlockBytes(GgmlType type) => Layout(type).BlockBytes;

    /// <summary>Bytes of a row of <paramref name="elementCount"/> elements (ggml_row_size).</summary>
    /// <exception cref="ArgumentException"><paramref name="elementCount"/> is not a multiple of the block size.</exception>
    public static long RowBytes(GgmlType type, long elementCount)
    {
        (int blockSize, int blockBytes) = Layout(type);
        if (elementCount < 0 || elementCount % blockSize != 0)
        {
            throw new ArgumentException(
                $"a row of {elementCount} elements of tensor type {(int)type} ({type}) is not a whole number of {blockSize}-element blocks",
                nameof(elementCount));
        }

        return elementCount / blockSize * blockBytes;
    }

    private static (int BlockSize, int BlockBytes) Layout(GgmlType type) =>
        Layouts.TryGetValue(type, out var layout)
            ? layout
            : throw new NotSupportedException($"tensor type {(int)type} is not a ggml type Wafer knows the layout of");

    private static NotSupportedException Unsupported(GgmlType type) =>
        new($"tensor type {(int)type} ({type}) is not supported by Wafer yet; supported: {string.Join(", ", Supported)}");

    private static TensorTypeKernels Make(GgmlType type, GgmlType activationType, DequantizeRow dequantize, QuantizeRow quantize, DotRow dot)
    {
        (int blockSize, int blockBytes) = Layouts[type];
        return new TensorTypeKernels(type, blockSize, blockBytes, activationType, dequantize, quantize, dot);
    }
}
