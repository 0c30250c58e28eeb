using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Wafer.Kernels.Gemm;

/// <summary>A block of 8 weight rows × 32 columns, repacked so that one 256-bit register holds 4 consecutive quants of
/// each of the 8 rows (<see cref="Interleaved8"/>): vpdpbusd then sums all 8 rows at once, one row per 32-bit lane.</summary>
/// <remarks>Layout: the 8 rows' F16 scales (16 bytes), then the quants. Unpacked quants are unsigned bytes u with value
/// d·(u − <see cref="Offset"/>); the −Offset·Σy term comes per activation block (<see cref="Q8Activations"/>).</remarks>
internal unsafe interface IInterleavedBlock
{
    /// <summary>Bytes per block of 8 rows (8 × the GGUF block: repacking changes no sizes).</summary>
    static abstract int BlockBytes { get; }

    /// <summary>What is subtracted from an unpacked quant to get its signed value.</summary>
    static abstract int Offset { get; }

    /// <summary>Quants 4g … 4g+3 of rows 0–7 as unsigned bytes (row r in bytes 4r … 4r+3); <paramref name="quants"/> = block + 16.</summary>
    static abstract Vector256<byte> Group(byte* quants, int g);

    /// <summary>Quant <paramref name="index"/> of row <paramref name="row"/> as an unsigned value (the scalar twin of <see cref="Group"/>).</summary>
    static abstract int QuantScalar(byte* quants, int row, int index);
}

/// <summary>8 rows of block_q8_0: quant bytes q + 128, group g at bytes 32g … 32g+31.</summary>
internal unsafe struct Q8_0x8Block : IInterleavedBlock
{
    public static int BlockBytes => 8 * 34;

    public static int Offset => 128;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Group(byte* quants, int g) => Vector256.Load(quants + 32 * g);

    public static int QuantScalar(byte* quants, int row, int index) => quants[32 * (index / 4) + 4 * row + index % 4];
}

/// <summary>8 rows of block_q4_0: the 16 nibble bytes of each row in 4-byte groups, group j of all rows at bytes 32j … 32j+31.
/// Low nibbles of group j are quants 4j … 4j+3 (group j), high nibbles quants 16+4j … (group j+4): ggml's own nibble order.</summary>
internal unsafe struct Q4_0x8Block : IInterleavedBlock
{
    public static int BlockBytes => 8 * 18;

    public static int Offset => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Group(byte* quants, int g) => g < 4
        ? Vector256.Load(quants + 32 * g) & Vector256.Create((byte)0x0F)
        : Vector256.ShiftRightLogical(Vector256.Load(quants + 32 * (g - 4)).AsUInt16(), 4).AsByte() & Vector256.Create((byte)0x0F);

    public static int QuantScalar(byte* quants, int row, int index)
    {
        int packed = quants[32 * (index % 16 / 4) + 4 * row + index % 4];
        return index < 16 ? packed & 0x0F : packed >> 4;
    }
}

/// <summary>8 rows of block_q5_0: 32 bytes of fifth bits, then the nibbles as <see cref="Q4_0x8Block"/> lays them out.</summary>
/// <remarks>Row r's 32 fifth bits are bytes 4r … 4r+3, rearranged so that bit g of byte t is quant 4g + t's: one shift and one
/// mask then put group g's four bits at bit 4 of the four bytes (ggml's row-major kernel spreads them with a shuffle and a compare).</remarks>
internal unsafe struct Q5_0x8Block : IInterleavedBlock
{
    public static int BlockBytes => 8 * 22;

    public static int Offset => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Group(byte* quants, int g)
    {
        Vector256<uint> bits = Vector256.Load((uint*)quants);
        Vector256<byte> fifth = (g <= 4 ? bits << (4 - g) : bits >> (g - 4)).AsByte() & Vector256.Create((byte)0x10);
        return Q4_0x8Block.Group(quants + 32, g) | fifth;
    }

    public static int QuantScalar(byte* quants, int row, int index) =>
        Q4_0x8Block.QuantScalar(quants + 32, row, index) | ((quants[4 * row + index % 4] >> (index / 4)) & 1) << 4;
}
