using System.Runtime.InteropServices;

namespace Wafer.Kernels.Quantization.Blocks;

/// <summary>ggml's <c>block_q4_0</c>: 32 elements in 18 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ4_0
{
    /// <summary>Elements per block.</summary>
    public const int ElementCount = 32;

    /// <summary>Bytes per block (sizeof(block_q4_0)).</summary>
    public const int ByteCount = 18;

    /// <summary>Scale.</summary>
    public Half D;

    /// <summary>Nibbles: low = elements 0..15, high = 16..31.</summary>
    public Bytes16 Qs;
}
