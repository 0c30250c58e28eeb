using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Gemm;

/// <summary>block_q4_0 (d: F16, qs: 16 bytes of nibbles; low nibbles are elements 0–15, high 16–31), unsigned value q with offset 8.</summary>
internal unsafe struct Q4_0WeightBlock : IQ8WeightBlock
{
    public static int BlockBytes => 18;

    public static int Offset => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scale(byte* block) => HalfTable.ToSingle(block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Unpack(byte* block) => SimdOps.BytesFromNibbles(ref block[2]);

    public static int UnpackScalar(byte* block, int index) =>
        index < 16 ? block[2 + index] & 0x0F : block[2 + index - 16] >> 4;
}
