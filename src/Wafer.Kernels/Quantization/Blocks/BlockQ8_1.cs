using System.Runtime.InteropServices;

namespace Wafer.Kernels.Quantization.Blocks;

/// <summary>ggml's <c>block_q8_1</c>: 32 elements in 36 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ8_1
{
    /// <summary>Elements per block.</summary>
    public const int ElementCount = 32;

    /// <summary>Bytes per block (sizeof(block_q8_1)).</summary>
    public const int ByteCount = 36;

    /// <summary>Scale.</summary>
    public Half D;

    /// <summary>D * sum(qs).</summary>
    public Half S;

    /// <summary>Quants [32].</summary>
    public SBytes32 Qs;
}
