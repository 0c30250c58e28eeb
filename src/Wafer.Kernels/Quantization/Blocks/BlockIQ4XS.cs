using System.Runtime.InteropServices;

namespace Wafer.Kernels.Quantization.Blocks;

/// <summary>ggml's <c>block_iq4_xs</c>: 256 elements in 136 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockIQ4XS
{
    /// <summary>Elements per block.</summary>
    public const int ElementCount = 256;

    /// <summary>Bytes per block (sizeof(block_iq4_xs)).</summary>
    public const int ByteCount = 136;

    /// <summary>Super-block scale.</summary>
    public Half D;

    /// <summary>High 2 bits of the 8 6-bit block scales.</summary>
    public ushort ScalesH;

    /// <summary>Low 4 bits of the 8 block scales.</summary>
    public Bytes4 ScalesL;

    /// <summary>Indices into kvalues_iq4nl.</summary>
    public Bytes128 Qs;
}
