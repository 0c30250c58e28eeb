using System.Runtime.InteropServices;

namespace Wafer.Kernels.Quantization.Blocks;

/// <summary>ggml's <c>block_q5_0</c>: 32 elements in 22 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ5_0
{
    /// <summary>Elements per block.</summary>
    public const int ElementCount = 32;

    /// <summary>Bytes per block (sizeof(block_q5_0)).</summary>
    public const int ByteCount = 22;

    /// <summary>Scale.</summary>
    public Half D;

    /// <summary>Fifth bits, bit j = element j (little-endian uint32).</summary>
    public Bytes4 Qh;

    /// <summary>Low nibbles: low = elements 0..15, high = 16..31.</summary>
    public Bytes16 Qs;
}
