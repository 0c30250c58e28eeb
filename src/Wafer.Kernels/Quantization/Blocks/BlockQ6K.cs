using System.Runtime.InteropServices;

namespace Wafer.Kernels.Quantization.Blocks;

/// <summary>ggml's <c>block_q6_K</c>: 256 elements in 210 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ6K
{
    /// <summary>Elements per block.</summary>
    public const int ElementCount = 256;

    /// <summary>Bytes per block (sizeof(block_q6_K)).</summary>
    public const int ByteCount = 210;

    /// <summary>Low 4 bits of each quant.</summary>
    public Bytes128 QL;

    /// <summary>High 2 bits of each quant.</summary>
    public Bytes64 QH;

    /// <summary>8-bit scale per 16 elements.</summary>
    public SBytes16 Scales;

    /// <summary>Super-block scale.</summary>
    public Half D;
}
