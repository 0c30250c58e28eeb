using System.Runtime.InteropServices;

namespace Wafer.Kernels.Quantization.Blocks;

/// <summary>ggml's <c>block_q2_K</c>: 256 elements in 84 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ2K
{
    /// <summary>Elements per block.</summary>
    public const int ElementCount = 256;

    /// <summary>Bytes per block (sizeof(block_q2_K)).</summary>
    public const int ByteCount = 84;

    /// <summary>Per 16 elements: low nibble = scale, high nibble = min.</summary>
    public Bytes16 Scales;

    /// <summary>2-bit quants, 4 per byte.</summary>
    public Bytes64 Qs;

    /// <summary>Super-block scale for the scales.</summary>
    public Half D;

    /// <summary>Super-block scale for the mins.</summary>
    public Half DMin;
}
