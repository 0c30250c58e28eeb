using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wafer.Kernels.Gemm;

/// <summary>The integer core of the Q8_0-family tiles: per 32-bit lane, Σ of 4 products of unpacked weight bytes u (value
/// u − offset) with signed activation bytes y. AVX-VNNI's vpdpbusd where the CPU has it, else two AVX2 multiply-adds with the
/// same lanes and the same exact integers (Zen 4 and older Intel parts have AVX-512 VNNI but no VEX AVX-VNNI, and .NET 10
/// exposes only the latter).</summary>
/// <remarks>
/// vpdpbusd computes Σ u·y and the tiles start each block's accumulator at the precomputed −offset·Σy (<see cref="Q8Activations"/>).
/// vpmaddubsw saturates its 16-bit pair sums, so AVX2 may multiply u·y directly only where u·y pairs fit: u ≤ 64 (Q4_0, Q5_0), |y| ≤ 127.
/// For Q8_0 (offset 128, u up to 255) it multiplies the signed weights w = u − 128 instead, llama.cpp's sign trick
/// (|w| × sign(y, w), exact for |y| ≤ 127, which Q8_0 activations are), and then the block must start at 0, not at the correction:
/// <see cref="FoldsOffset"/> says which, <see cref="Correction"/> gives the start. Either way the block's integer sums are Σ (u − offset)·y.
/// </remarks>
internal static class U8Dot
{
    /// <summary>True where the tiles may run: AVX-VNNI or AVX2, with FMA.</summary>
    public static bool IsSupported => (AvxVnni.IsSupported || Avx2.IsSupported) && Fma.IsSupported;

    /// <summary>True when the accumulator of a block starts at −offset·Σy (u·y is multiplied as it is).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool FoldsOffset(int offset) => AvxVnni.IsSupported || offset <= 64;

    /// <summary>The start of a block's lane accumulators: the corrections at <paramref name="corrections"/> [8] or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<int> Correction(int* corrections, int offset) =>
        FoldsOffset(offset) ? Vector256.Load(corrections) : Vector256<int>.Zero;

    /// <summary>The start of a block's accumulator for one scalar correction per block (the interleaved tiles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Correction(int correction, int offset) =>
        FoldsOffset(offset) ? Vector256.Create(correction) : Vector256<int>.Zero;

    /// <summary><paramref name="sum"/> + per lane Σ of 4 products: u·y where <see cref="FoldsOffset"/>, else (u − offset)·y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Accumulate(Vector256<int> sum, Vector256<byte> u, Vector256<sbyte> y, int offset)
    {
        if (AvxVnni.IsSupported) return AvxVnni.MultiplyWideningAndAdd(sum, u, y);
        Vector256<short> pairs;
        if (offset <= 64)
        {
            pairs = Avx2.MultiplyAddAdjacent(u, y);
        }
        else
        {
            Vector256<sbyte> w = Avx2.Subtract(u, Vector256.Create((byte)offset)).AsSByte();
            pairs = Avx2.MultiplyAddAdjacent(Avx2.Abs(w), Avx2.Sign(y, w));
        }
        return sum + Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1));
    }
}
