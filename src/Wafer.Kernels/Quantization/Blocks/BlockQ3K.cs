using System.Runtime.InteropServices;

namespace Wafer.Kernels.Quantization.Blocks;

/// <summary>ggml's <c>block_q3_K</c>: 256 elements in 110 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ3K
{
    /// <summary>Elements per block.</summary>
    public const int ElementCount = 256;

    /// <summary>Bytes per block (sizeof(block_q3_K)).</summary>
    public const int ByteCount = 110;

    /// <summary>High bit of each quant.</summary>
    public Bytes32 HMask;

    /// <summary>Low 2 bits of each quant, 4 per byte.</summary>
    public Bytes64 Qs;

    /// <summary>16 scales of 6 bits, packed.</summary>
    public Bytes12 Scales;

    /// <summary>Super-block scale.</summary>
    public Half D;
}
