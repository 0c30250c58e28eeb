using Wafer.Kernels;
using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;
using Wafer.Kernels.Quantization;
using Wafer.Models.Gguf;

namespace Wafer.Models.Architectures;

/// <summary>A 2-D weight tensor kept in its GGUF form inside the memory-mapped file.</summary>
public sealed unsafe class WeightMatrix
{
    private readonly byte* _data; // [Rows, RowBytes], owned by the mapped GgufFile

    /// <summary>Element type of the stored weights.</summary>
    public GgmlType Type { get; }

    /// <summary>Output features (ggml ne[1]).</summary>
    public int Rows { get; }

    /// <summary>Input features (ggml ne[0]).</summary>
    public int Columns { get; }

    /// <summary>Bytes of one stored row.</summary>
    public long RowBytes { get; }

    /// <summary>The type's kernels.</summary>
    public ITensorTypeKernels Kernels { get; }

    private WeightMatrix(GgufTensorInfo info, byte* data, string fileName)
    {
        if (info.Dimensions.Length != 2)
            throw new GgufFormatException($"model file '{fileName}': tensor '{info.Name}' has {info.Dimensions.Length} dimensions, expected 2");
        if (!TensorTypes.IsSupported(info.Type))
            throw new NotSupportedException($"model file '{fileName}': tensor '{info.Name}' has type {(int)info.Type} ({info.Type}), which Wafer does not support yet; supported: {string.Join(", ", TensorTypes.Supported)}");
        Type = info.Type;
        Columns = checked((int)info.Dimensions[0]);
        Rows = checked((int)info.Dimensions[1]);
        RowBytes = TensorTypes.RowBytes(Type, Columns);
        Kernels = TensorTypes.Get(Type);
        _data = data;
    }

    /// <summary>Binds the named tensor of <paramref name="file"/>, checking its shape.</summary>
    public static WeightMatrix Load(GgufFile file, string name, int columns, int rows)
    {
        var info = file.GetTensor(name);
        var matrix = new WeightMatrix(info, file.DataPointer(info), System.IO.Path.GetFileName(file.Path));
        if (matrix.Columns != columns || matrix.Rows != rows)
            throw new GgufFormatException($"model file '{System.IO.Path.GetFileName(file.Path)}': tensor '{name}' has shape [{matrix.Columns}, {matrix.Rows}], expected [{columns}, {rows}]");
        return matrix;
    }

    /// <summary>Scratch bytes <see cref="Multiply"/> needs for <paramref name="batch"/> input rows.</summary>
    public long ScratchBytes(int batch) => MatMul.ScratchBytes(Kernels, Columns, batch);

    /// <summary>output [batch, Rows] = input [batch, Columns] × thisᵀ.</summary>
    /// <param name="inputUnchanged">True when the previous product on this thread had the same input and scratch (see <see cref="MatMul.Compute"/>).</param>
    public void Multiply(ReadOnlySpan<float> input, int batch, Span<byte> scratch, Span<float> output, WorkerPool pool, bool inputUnchanged = false) =>
        MatMul.Compute(Kernels, _data, Rows, Columns, input, batch, scratch, output, pool, inputUnchanged);

    /// <summary>Dequantizes row <paramref name="row"/> (an embedding lookup).</summary>
    public void ReadRow(int row, Span<float> destination) =>
        Kernels.Dequantize(new ReadOnlySpan<byte>(_data + row * RowBytes, (int)RowBytes), destination[..Columns]);
}
