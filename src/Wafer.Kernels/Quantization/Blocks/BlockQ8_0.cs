using System.Runtime.InteropServices;

namespace Wafer.Kernels.Quantization.Blocks;

/// <summary>ggml's <c>block_q8_0</c>: 32 elements in 34 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ8_0
{
    /// <summary>Elements per block.</summary>
    public const int ElementCount = 32;

    /// <summary>Bytes per block (sizeof(block_q8_0)).</summary>
    public const int ByteCount = 34;

    /// <summary>Scale.</summary>
    public Half D;

    /// <summary>Quants [32].</summary>
    public SBytes32 Qs;
}
