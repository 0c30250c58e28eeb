using System.Runtime.InteropServices;

namespace Wafer.Kernels.Quantization.Blocks;

/// <summary>ggml's <c>block_q5_K</c>: 256 elements in 176 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ5K
{
    /// <summary>Elements per block.</summary>
    public const int ElementCount = 256;

    /// <summary>Bytes per block (sizeof(block_q5_K)).</summary>
    public const int ByteCount = 176;

    /// <summary>Super-block scale for the scales.</summary>
    public Half D;

    /// <summary>Super-block scale for the mins.</summary>
    public Half DMin;

    /// <summary>8 scales and 8 mins of 6 bits, packed.</summary>
    public Bytes12 Scales;

    /// <summary>High bit of each quant.</summary>
    public Bytes32 Qh;

    /// <summary>Low 4 bits of each quant.</summary>
    public Bytes128 Qs;
}
