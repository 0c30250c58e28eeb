using Wafer.Kernels;
using Wafer.Kernels.Gemm;
using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;
using Wafer.Kernels.Quantization;
using Wafer.Models.Gguf;

namespace Wafer.Models.Architectures;

/// <summary>A 2-D weight tensor kept in its GGUF form inside the memory-mapped file, and for Q8_0/Q4_0/Q5_0 optionally a copy
/// repacked for the matrix kernels (<see cref="Interleaved8"/>).</summary>
public sealed unsafe class WeightMatrix
{
    private readonly byte* _data;  // [Rows, RowBytes], owned by the mapped GgufFile
    private byte* _repacked;       // the same bytes in WeightLayout.Interleaved8, owned by a RepackedWeights; null when not repacked

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

    /// <summary>The layout <see cref="Multiply"/> reads: <see cref="WeightLayout.Interleaved8"/> once <see cref="RepackInto"/> ran.</summary>
    public WeightLayout Layout => _repacked == null ? WeightLayout.Gguf : WeightLayout.Interleaved8;

    /// <summary>Bytes of the stored matrix.</summary>
    public long Bytes => Rows * RowBytes;

    /// <summary>Whether <see cref="RepackInto"/> can give this matrix a faster layout on this machine.</summary>
    public bool CanRepack => Interleaved8.CanRepack(Type, Rows, Columns);

    private WeightMatrix(WeightMatrix whole, int firstRow, int rows)
    {
        Type = whole.Type;
        Columns = whole.Columns;
        Rows = rows;
        RowBytes = whole.RowBytes;
        Kernels = whole.Kernels;
        _data = whole._data + firstRow * whole.RowBytes;
    }

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

    /// <summary>Binds rows [<paramref name="firstRow"/>, firstRow + <paramref name="rows"/>) of a fused tensor (Phi-3's attn_qkv and
    /// ffn_up) as a matrix of its own: the rows are independent, so a block of them is a matrix in the same layout.</summary>
    public static WeightMatrix LoadRows(GgufFile file, string name, int columns, int totalRows, int firstRow, int rows)
    {
        var whole = Load(file, name, columns, totalRows);
        if (firstRow < 0 || rows <= 0 || firstRow + rows > totalRows) throw new ArgumentOutOfRangeException(nameof(rows), $"rows [{firstRow}, {firstRow + rows}) of '{name}' with {totalRows} rows");
        return new WeightMatrix(whole, firstRow, rows);
    }

    /// <summary>Scratch bytes <see cref="Multiply"/> needs for <paramref name="batch"/> input rows.</summary>
    public long ScratchBytes(int batch) => MatMul.ScratchBytes(Kernels, Columns, batch);

    /// <summary>output [batch, Rows] = input [batch, Columns] × thisᵀ.</summary>
    /// <param name="inputUnchanged">True when the previous product on this thread had the same input and scratch (see <see cref="MatMul.Compute"/>).</param>
    public void Multiply(ReadOnlySpan<float> input, int batch, Span<byte> scratch, Span<float> output, WorkerPool pool, bool inputUnchanged = false) =>
        MatMul.Compute(Kernels, _repacked == null ? _data : _repacked, Rows, Columns, input, batch, scratch, output, pool, inputUnchanged, Layout);

    /// <summary>Writes the interleaved form of the matrix to <paramref name="destination"/> (<see cref="Bytes"/> bytes, which must
    /// outlive this matrix) and multiplies from it from then on. <see cref="ReadRow"/> keeps reading the mapped file, whose pages of
    /// this matrix are released, so the model stays about one copy of the weights in memory.</summary>
    internal void RepackInto(byte* destination, WorkerPool pool)
    {
        if (!CanRepack) throw new InvalidOperationException($"a [{Rows}, {Columns}] {Type} matrix cannot be repacked");
        byte* source = _data;
        GgmlType type = Type;
        int columns = Columns;
        pool.For(Rows / 8, 8, (start, end) => Interleaved8.Repack(type, source, destination, columns, start, end));
        _repacked = destination;
        HugePages.Release(_data, Bytes); // the mapped copy leaves the resident set; ReadRow faults back only the rows it reads
    }

    /// <summary>Dequantizes row <paramref name="row"/> (an embedding lookup).</summary>
    public void ReadRow(int row, Span<float> destination) =>
        Kernels.Dequantize(new ReadOnlySpan<byte>(_data + row * RowBytes, (int)RowBytes), destination[..Columns]);
}
