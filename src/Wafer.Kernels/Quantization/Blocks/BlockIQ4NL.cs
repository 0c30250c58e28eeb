using System.Runtime.InteropServices;

namespace Wafer.Kernels.Quantization.Blocks;

/// <summary>ggml's <c>block_iq4_nl</c>: 32 elements in 18 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockIQ4NL
{
    /// <summary>Elements per block.</summary>
    public const int ElementCount = 32;

    /// <summary>Bytes per block (sizeof(block_iq4_nl)).</summary>
    public const int ByteCount = 18;

    /// <summary>Scale.</summary>
    public Half D;

    /// <summary>Indices into kvalues_iq4nl: low = elements 0..15, high = 16..31.</summary>
    public Bytes16 Qs;
}
