using System.Runtime.InteropServices;

namespace Wafer.Kernels.Quantization.Blocks;

/// <summary>ggml's <c>block_q8_K</c>: 256 elements in 292 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ8K
{
    /// <summary>Elements per block.</summary>
    public const int ElementCount = 256;

    /// <summary>Bytes per block (sizeof(block_q8_K)).</summary>
    public const int ByteCount = 292;

    /// <summary>Scale (F32, not F16).</summary>
    public float D;

    /// <summary>Quants [256].</summary>
    public SBytes256 Qs;

    /// <summary>Sum of each 16 quants.</summary>
    public Int16s16 BSums;
}
