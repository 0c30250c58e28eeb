using Wafer.Kernels;

namespace Wafer.Models.Gguf;

/// <summary>One entry of a GGUF tensor directory.</summary>
/// <param name="Name">Tensor name, e.g. <c>blk.0.attn_q.weight</c>.</param>
/// <param name="Type">Element type.</param>
/// <param name="Dimensions">ggml order: <c>Dimensions[0]</c> is the row length (innermost), then rows, …</param>
/// <param name="Offset">Byte offset from the start of the data section (of its part).</param>
/// <param name="ByteCount">Bytes of data.</param>
public sealed record GgufTensorInfo(string Name, GgmlType Type, long[] Dimensions, long Offset, long ByteCount)
{
    /// <summary>Which file of a split model holds the data (0 for a whole model); <see cref="Offset"/> is within its data section.</summary>
    public int Part { get; init; }

    /// <summary>Total element count.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Dimensions) n *= d;
            return n;
        }
    }

    /// <summary>Elements in one row (<c>Dimensions[0]</c>).</summary>
    public long RowLength => Dimensions.Length == 0 ? 1 : Dimensions[0];

    /// <summary>Row count (product of all dimensions but the first).</summary>
    public long RowCount => RowLength == 0 ? 0 : ElementCount / RowLength;
}
