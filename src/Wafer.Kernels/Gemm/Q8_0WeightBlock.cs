using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Gemm;

/// <summary>block_q8_0 (d: F16, qs: 32 × int8) as unsigned bytes q + 128.</summary>
internal unsafe struct Q8_0WeightBlock : IQ8WeightBlock
{
    public static int BlockBytes => 34;

    public static int Offset => 128;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scale(byte* block) => HalfTable.ToSingle(block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Unpack(byte* block) => Vector256.Load(block + 2) ^ Vector256.Create((byte)0x80);

    public static int UnpackScalar(byte* block, int index) => ((sbyte)block[2 + index]) + 128;
}
