using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Gemm;

/// <summary>block_q5_0 (d: F16, qh: 32 fifth bits, qs: 16 bytes of nibbles), unsigned value q | bit·16 with offset 16.</summary>
internal unsafe struct Q5_0WeightBlock : IQ8WeightBlock
{
    public static int BlockBytes => 22;

    public static int Offset => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scale(byte* block) => HalfTable.ToSingle(block);

    /// <remarks>The fifth bits are spread to bytes as ggml's <c>bytes_from_bits_32</c> does.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Unpack(byte* block)
    {
        Vector256<byte> low = SimdOps.BytesFromNibbles(ref block[6]);
        Vector256<byte> bits = Vector256.Create(*(uint*)(block + 2)).AsByte();
        Vector256<byte> spread = Avx2.Shuffle(bits, Vector256.Create(0x0000000000000000, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303).AsByte());
        Vector256<byte> set = Vector256.Equals(spread | Vector256.Create(0x7fbfdfeff7fbfdfeUL).AsByte(), Vector256<byte>.AllBitsSet);
        return low | (set & Vector256.Create((byte)0x10));
    }

    public static int UnpackScalar(byte* block, int index)
    {
        uint qh = *(uint*)(block + 2);
        int nibble = index < 16 ? block[6 + index] & 0x0F : block[6 + index - 16] >> 4;
        return nibble | (int)((qh >> index) & 1) << 4;
    }
}
