using System.Runtime.InteropServices;

namespace Wafer.Kernels.Quantization.Blocks;

/// <summary>ggml's <c>block_q4_K</c>: 256 elements in 144 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ4K
{
    /// <summary>Elements per block.</summary>
    public const int ElementCount = 256;

    /// <summary>Bytes per block (sizeof(block_q4_K)).</summary>
    public const int ByteCount = 144;

    /// <summary>Super-block scale for the scales.</summary>
    public Half D;

    /// <summary>Super-block scale for the mins.</summary>
    public Half DMin;

    /// <summary>8 scales and 8 mins of 6 bits, packed.</summary>
    public Bytes12 Scales;

    /// <summary>4-bit quants.</summary>
    public Bytes128 Qs;
}
