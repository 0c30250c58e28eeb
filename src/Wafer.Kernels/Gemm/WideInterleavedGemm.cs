using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Gemm;

/// <summary>The prompt tiles of <see cref="InterleavedGemm"/> in 512-bit AVX-512BW for CPUs that have AVX-512 but no VEX AVX-VNNI
/// (Intel Skylake-SP to Ice Lake, AMD Zen 4: .NET 10 exposes VNNI only as <see cref="AvxVnni"/>): the same integers and the same
/// F32 operations in the same order, so the outputs are bit for bit those of the 256-bit tiles and of the scalar twin.</summary>
/// <remarks>
/// The 256-bit fallback spends four instructions per 8 rows × 4 quants × 1 activation (vpsignb, vpmaddubsw, vpmaddwd with ones,
/// vpaddd). These tiles take two adjacent 8-row groups at once (16 weight rows, the repacked layout unchanged): per 4-quant
/// group both groups' quants are widened to 16 bits and rearranged (vpermt2w) into two registers of 16 rows × 2 quants, reused
/// by every activation row; one vpmaddwd then multiplies them by the activation's 2 values (broadcast from memory, a load only)
/// and a vpaddd accumulates: two instructions per 16 rows × 2 quants, each 32-bit lane one weight row. No saturation: u ≤ 255
/// and |y| ≤ 127, so a pair sum fits 17 bits, unlike vpmaddubsw's 16-bit one. A block's accumulator starts at its correction
/// −offset·Σy, so its lanes end as the exact integer Σ (u − offset)·y; one conversion and one FMA with (d_w·d_y) in F32 per
/// activation row scale 16 rows. Q4_0 and Q5_0, whose quants are ≤ 31, have cheaper tiles still (<see cref="SmallTile16x8{T}"/>:
/// vpmaddubsw on the activation bytes, no widening). Measured on an Ice Lake Xeon, one thread, L1-resident (`-- isa` in
/// bench/Wafer.Benchmarks): Q8_0 ≈ 1.4–1.5× the 256-bit 8×8 tile, Q4_0 ≈ 1.2–1.3× (docs/benchmarks.md).
/// </remarks>
internal static unsafe class WideInterleavedGemm
{
    /// <summary>True where these tiles run instead of the 256-bit ones: AVX-512BW with 512-bit vectors accelerated, and no AVX-VNNI
    /// (whose 256-bit vpdpbusd does a block in fewer instructions still). <see cref="Enabled"/> can turn them off.</summary>
    public static bool IsSupported => !AvxVnni.IsSupported && Avx512BW.IsSupported && Vector512.IsHardwareAccelerated && Fma.IsSupported;

    /// <summary>Whether <see cref="Ops.MatMulJob"/> uses these tiles where <see cref="IsSupported"/>; off with
    /// <c>WAFER_WIDE_TILES=0</c> (to compare the two on one machine).</summary>
    /// <remarks>Kept in its own class: a static field here would put a class-initialization check, and with it a call that
    /// every vector register must be saved around, into the tiles' loops.</remarks>
    public static bool Enabled => WideTileSwitch.Enabled;

    /// <summary>The quants of Q8_0 activation rows [<paramref name="rows"/>, blocks·34 bytes] widened to 16 bits:
    /// <paramref name="widened"/> [rows, blocks·32], what the tiles read.</summary>
    public static void Widen(byte* activations, long activationRowBytes, int rows, int blocks, short* widened)
    {
        for (int b = 0; b < rows; b++)
        {
            byte* a = activations + b * activationRowBytes + 2;
            short* y = widened + (long)b * blocks * 32;
            for (int ib = 0; ib < blocks; ib++)
                Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)(a + ib * 34))).Store(y + 32 * ib);
        }
    }

    // A block's 16 row scales: the two 8-row groups' F16 scales.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> RowScales(byte* first, byte* second) =>
        SimdOps.HalfToSingle(Vector256.Create(Vector128.Load((ushort*)first), Vector128.Load((ushort*)second)));

    // acc + (d_w·d_y)·sums, the scalar twin's one FMA per block and row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Scaled(Vector512<float> acc, Vector512<int> sums, Vector512<float> rowScales, float activationScale) =>
        Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), rowScales * activationScale, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* output, long stride, Vector512<float> c0, Vector512<float> c1, Vector512<float> c2, Vector512<float> c3)
    {
        c0.Store(output);
        c1.Store(output + stride);
        c2.Store(output + 2 * stride);
        c3.Store(output + 3 * stride);
    }

    // y: an activation row's block widened to 16 bits; its values 2j, 2j+1 broadcast to every 32-bit lane.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Dot(Vector512<int> sum, Vector512<short> weights, short* y, int j) =>
        sum + Avx512BW.MultiplyAddAdjacent(weights, Vector512.Create(*(int*)(y + 2 * j)).AsInt16());

    /// <summary>16 weight rows (two adjacent 8-row groups, the second <paramref name="groupBytes"/> after the first) × 8 activation
    /// rows; otherwise as <see cref="InterleavedGemm.Tile8x8{T}"/>, but the activations' quants come widened (<see cref="Widen"/>):
    /// row i at <paramref name="widened"/> + i·blocks·32. Output row i gets the 16 weight rows' values at output + i·outputStride.</summary>
    /// <remarks>Per group g the two groups' quants are widened and rearranged (vpermt2w) into two registers of 16 rows × 2 quants,
    /// so each 32-bit lane of an accumulator is one weight row: the block's sums need no pairing, and one conversion and one FMA
    /// per activation row scale 16 rows. Widening the activations once per product and reading them back from cache also
    /// matters: widening them inside the tile and reading 4-byte pieces back from the 64-byte stores that had just written them
    /// stalls on store forwarding.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile16x8<T>(byte* weights, long groupBytes, short* widened, float* scales, int* blockCorrections, int blocks, float* output, long outputStride)
        where T : unmanaged, IInterleavedBlock
    {
        // Lane 2R + t of the rearranged registers: row R's quant t (low) or t + 2 (high) of the group, rows 8–15 from the second.
        Vector512<short> low = Vector512.Create(
            (short)0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29, 32, 33, 36, 37, 40, 41, 44, 45, 48, 49, 52, 53, 56, 57, 60, 61);
        Vector512<short> high = low + Vector512.Create((short)2);
        Vector512<float> c0 = Vector512<float>.Zero, c1 = Vector512<float>.Zero, c2 = Vector512<float>.Zero, c3 = Vector512<float>.Zero;
        Vector512<float> c4 = Vector512<float>.Zero, c5 = Vector512<float>.Zero, c6 = Vector512<float>.Zero, c7 = Vector512<float>.Zero;
        long stride = (long)blocks * 32;
        for (int ib = 0; ib < blocks; ib++)
        {
            byte* w = weights + ib * T.BlockBytes, w2 = w + groupBytes;
            short* y = widened + ib * 32;
            int* k = blockCorrections + ib;
            Vector512<int> e0 = Vector512.Create(k[0]), e1 = Vector512.Create(k[blocks]), e2 = Vector512.Create(k[2 * blocks]), e3 = Vector512.Create(k[3 * blocks]);
            Vector512<int> e4 = Vector512.Create(k[4 * blocks]), e5 = Vector512.Create(k[5 * blocks]), e6 = Vector512.Create(k[6 * blocks]), e7 = Vector512.Create(k[7 * blocks]);
            for (int g = 0; g < 8; g++)
            {
                Vector512<short> first = Avx512BW.ConvertToVector512Int16(T.Group(w + 16, g)).AsInt16();
                Vector512<short> second = Avx512BW.ConvertToVector512Int16(T.Group(w2 + 16, g)).AsInt16();
                Vector512<short> u = Avx512BW.PermuteVar32x16x2(first, low, second);
                int j = 2 * g;
                e0 = Dot(e0, u, y, j); e1 = Dot(e1, u, y + stride, j); e2 = Dot(e2, u, y + 2 * stride, j); e3 = Dot(e3, u, y + 3 * stride, j);
                e4 = Dot(e4, u, y + 4 * stride, j); e5 = Dot(e5, u, y + 5 * stride, j); e6 = Dot(e6, u, y + 6 * stride, j); e7 = Dot(e7, u, y + 7 * stride, j);
                u = Avx512BW.PermuteVar32x16x2(first, high, second);
                j++;
                e0 = Dot(e0, u, y, j); e1 = Dot(e1, u, y + stride, j); e2 = Dot(e2, u, y + 2 * stride, j); e3 = Dot(e3, u, y + 3 * stride, j);
                e4 = Dot(e4, u, y + 4 * stride, j); e5 = Dot(e5, u, y + 5 * stride, j); e6 = Dot(e6, u, y + 6 * stride, j); e7 = Dot(e7, u, y + 7 * stride, j);
            }
            Vector512<float> d = RowScales(w, w2);
            float* s = scales + ib;
            c0 = Scaled(c0, e0, d, s[0]);
            c1 = Scaled(c1, e1, d, s[blocks]);
            c2 = Scaled(c2, e2, d, s[2 * blocks]);
            c3 = Scaled(c3, e3, d, s[3 * blocks]);
            c4 = Scaled(c4, e4, d, s[4 * blocks]);
            c5 = Scaled(c5, e5, d, s[5 * blocks]);
            c6 = Scaled(c6, e6, d, s[6 * blocks]);
            c7 = Scaled(c7, e7, d, s[7 * blocks]);
        }
        Store(output, outputStride, c0, c1, c2, c3);
        Store(output + 4 * outputStride, outputStride, c4, c5, c6, c7);
    }

    /// <summary>16 weight rows × 4 activation rows; arguments as <see cref="Tile16x8{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile16x4<T>(byte* weights, long groupBytes, short* widened, float* scales, int* blockCorrections, int blocks, float* output, long outputStride)
        where T : unmanaged, IInterleavedBlock
    {
        Vector512<short> low = Vector512.Create(
            (short)0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29, 32, 33, 36, 37, 40, 41, 44, 45, 48, 49, 52, 53, 56, 57, 60, 61);
        Vector512<short> high = low + Vector512.Create((short)2);
        Vector512<float> c0 = Vector512<float>.Zero, c1 = Vector512<float>.Zero, c2 = Vector512<float>.Zero, c3 = Vector512<float>.Zero;
        long stride = (long)blocks * 32;
        for (int ib = 0; ib < blocks; ib++)
        {
            byte* w = weights + ib * T.BlockBytes, w2 = w + groupBytes;
            short* y = widened + ib * 32;
            int* k = blockCorrections + ib;
            // Two accumulators per activation row (low and high quant pairs) keep 8 independent chains in flight.
            Vector512<int> e0 = Vector512.Create(k[0]), e1 = Vector512.Create(k[blocks]), e2 = Vector512.Create(k[2 * blocks]), e3 = Vector512.Create(k[3 * blocks]);
            Vector512<int> o0 = Vector512<int>.Zero, o1 = Vector512<int>.Zero, o2 = Vector512<int>.Zero, o3 = Vector512<int>.Zero;
            for (int g = 0; g < 8; g++)
            {
                Vector512<short> first = Avx512BW.ConvertToVector512Int16(T.Group(w + 16, g)).AsInt16();
                Vector512<short> second = Avx512BW.ConvertToVector512Int16(T.Group(w2 + 16, g)).AsInt16();
                Vector512<short> u = Avx512BW.PermuteVar32x16x2(first, low, second);
                int j = 2 * g;
                e0 = Dot(e0, u, y, j); e1 = Dot(e1, u, y + stride, j); e2 = Dot(e2, u, y + 2 * stride, j); e3 = Dot(e3, u, y + 3 * stride, j);
                u = Avx512BW.PermuteVar32x16x2(first, high, second);
                j++;
                o0 = Dot(o0, u, y, j); o1 = Dot(o1, u, y + stride, j); o2 = Dot(o2, u, y + 2 * stride, j); o3 = Dot(o3, u, y + 3 * stride, j);
            }
            Vector512<float> d = RowScales(w, w2);
            float* s = scales + ib;
            c0 = Scaled(c0, e0 + o0, d, s[0]);
            c1 = Scaled(c1, e1 + o1, d, s[blocks]);
            c2 = Scaled(c2, e2 + o2, d, s[2 * blocks]);
            c3 = Scaled(c3, e3 + o3, d, s[3 * blocks]);
        }
        Store(output, outputStride, c0, c1, c2, c3);
    }

    /// <summary>Whether <typeparamref name="T"/>'s quants are small enough (u ≤ 31: Q4_0, Q5_0) for <see cref="SmallTile16x8{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TakesSmallQuants<T>() where T : unmanaged, IInterleavedBlock => T.Offset <= 16;

    // Σ over 4 quants of u·y per row lane: vpmaddubsw gives pair sums (≤ 2·31·127 = 7,874 for u ≤ 31), added in 16 bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Pairs(Vector512<byte> u, byte* y, int g) =>
        Avx512BW.MultiplyAddAdjacent(u, Vector512.Create(*(int*)(y + 4 * g)).AsSByte());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Widen(Vector512<int> sum, Vector512<short> pairs) =>
        sum + Avx512BW.MultiplyAddAdjacent(pairs, Vector512.Create((short)1));

    /// <summary>16 weight rows × 8 activation rows for quants u ≤ 31 (<see cref="TakesSmallQuants{T}"/>), from the Q8_0 activation
    /// rows as they are (no widening); otherwise as <see cref="Tile16x8{T}"/>, with activations and their row stride as
    /// <see cref="InterleavedGemm.Tile8x8{T}"/> takes them.</summary>
    /// <remarks>The two groups' 4-quant registers side by side are 16 rows × 4 bytes; 512-bit vpmaddubsw multiplies them by an
    /// activation's 4 bytes (a broadcast load) into 16-bit pair sums, four groups' pair sums are added in 16 bits (≤ 4·7,874 =
    /// 31,496: no overflow), and one vpmaddwd with ones widens them into the row lanes. Per activation row and 4 groups: 4 + 3 + 1
    /// + 1 instructions for 16 rows × 16 quants, where <see cref="Tile16x8{T}"/> spends 16.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SmallTile16x8<T>(byte* weights, long groupBytes, byte* activations, long activationRowBytes, float* scales, int* blockCorrections, int blocks, float* output, long outputStride)
        where T : unmanaged, IInterleavedBlock
    {
        Vector512<float> c0 = Vector512<float>.Zero, c1 = Vector512<float>.Zero, c2 = Vector512<float>.Zero, c3 = Vector512<float>.Zero;
        Vector512<float> c4 = Vector512<float>.Zero, c5 = Vector512<float>.Zero, c6 = Vector512<float>.Zero, c7 = Vector512<float>.Zero;
        long stride = activationRowBytes;
        for (int ib = 0; ib < blocks; ib++)
        {
            byte* w = weights + ib * T.BlockBytes, w2 = w + groupBytes;
            byte* y = activations + 2 + ib * 34;
            int* k = blockCorrections + ib;
            Vector512<int> e0 = Vector512.Create(k[0]), e1 = Vector512.Create(k[blocks]), e2 = Vector512.Create(k[2 * blocks]), e3 = Vector512.Create(k[3 * blocks]);
            Vector512<int> e4 = Vector512.Create(k[4 * blocks]), e5 = Vector512.Create(k[5 * blocks]), e6 = Vector512.Create(k[6 * blocks]), e7 = Vector512.Create(k[7 * blocks]);
            for (int half = 0; half < 8; half += 4)
            {
                Vector512<short> p0 = Vector512<short>.Zero, p1 = Vector512<short>.Zero, p2 = Vector512<short>.Zero, p3 = Vector512<short>.Zero;
                Vector512<short> p4 = Vector512<short>.Zero, p5 = Vector512<short>.Zero, p6 = Vector512<short>.Zero, p7 = Vector512<short>.Zero;
                for (int g = half; g < half + 4; g++)
                {
                    Vector512<byte> u = Vector512.Create(T.Group(w + 16, g), T.Group(w2 + 16, g));
                    p0 += Pairs(u, y, g); p1 += Pairs(u, y + stride, g); p2 += Pairs(u, y + 2 * stride, g); p3 += Pairs(u, y + 3 * stride, g);
                    p4 += Pairs(u, y + 4 * stride, g); p5 += Pairs(u, y + 5 * stride, g); p6 += Pairs(u, y + 6 * stride, g); p7 += Pairs(u, y + 7 * stride, g);
                }
                e0 = Widen(e0, p0); e1 = Widen(e1, p1); e2 = Widen(e2, p2); e3 = Widen(e3, p3);
                e4 = Widen(e4, p4); e5 = Widen(e5, p5); e6 = Widen(e6, p6); e7 = Widen(e7, p7);
            }
            Vector512<float> d = RowScales(w, w2);
            float* s = scales + ib;
            c0 = Scaled(c0, e0, d, s[0]);
            c1 = Scaled(c1, e1, d, s[blocks]);
            c2 = Scaled(c2, e2, d, s[2 * blocks]);
            c3 = Scaled(c3, e3, d, s[3 * blocks]);
            c4 = Scaled(c4, e4, d, s[4 * blocks]);
            c5 = Scaled(c5, e5, d, s[5 * blocks]);
            c6 = Scaled(c6, e6, d, s[6 * blocks]);
            c7 = Scaled(c7, e7, d, s[7 * blocks]);
        }
        Store(output, outputStride, c0, c1, c2, c3);
        Store(output + 4 * outputStride, outputStride, c4, c5, c6, c7);
    }

    /// <summary>16 weight rows × 4 activation rows for quants u ≤ 31; arguments as <see cref="SmallTile16x8{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SmallTile16x4<T>(byte* weights, long groupBytes, byte* activations, long activationRowBytes, float* scales, int* blockCorrections, int blocks, float* output, long outputStride)
        where T : unmanaged, IInterleavedBlock
    {
        Vector512<float> c0 = Vector512<float>.Zero, c1 = Vector512<float>.Zero, c2 = Vector512<float>.Zero, c3 = Vector512<float>.Zero;
        long stride = activationRowBytes;
        for (int ib = 0; ib < blocks; ib++)
        {
            byte* w = weights + ib * T.BlockBytes, w2 = w + groupBytes;
            byte* y = activations + 2 + ib * 34;
            int* k = blockCorrections + ib;
            Vector512<int> e0 = Vector512.Create(k[0]), e1 = Vector512.Create(k[blocks]), e2 = Vector512.Create(k[2 * blocks]), e3 = Vector512.Create(k[3 * blocks]);
            // Two sets of 16-bit sums (even and odd groups) keep 8 independent chains in flight.
            Vector512<short> p0 = Vector512<short>.Zero, p1 = Vector512<short>.Zero, p2 = Vector512<short>.Zero, p3 = Vector512<short>.Zero;
            Vector512<short> q0 = Vector512<short>.Zero, q1 = Vector512<short>.Zero, q2 = Vector512<short>.Zero, q3 = Vector512<short>.Zero;
            for (int g = 0; g < 8; g += 2)
            {
                Vector512<byte> u = Vector512.Create(T.Group(w + 16, g), T.Group(w2 + 16, g));
                p0 += Pairs(u, y, g); p1 += Pairs(u, y + stride, g); p2 += Pairs(u, y + 2 * stride, g); p3 += Pairs(u, y + 3 * stride, g);
                u = Vector512.Create(T.Group(w + 16, g + 1), T.Group(w2 + 16, g + 1));
                q0 += Pairs(u, y, g + 1); q1 += Pairs(u, y + stride, g + 1); q2 += Pairs(u, y + 2 * stride, g + 1); q3 += Pairs(u, y + 3 * stride, g + 1);
            }
            // 4 groups per set: the same 16-bit bound as the 8×… tile.
            e0 = Widen(Widen(e0, p0), q0); e1 = Widen(Widen(e1, p1), q1); e2 = Widen(Widen(e2, p2), q2); e3 = Widen(Widen(e3, p3), q3);
            Vector512<float> d = RowScales(w, w2);
            float* s = scales + ib;
            c0 = Scaled(c0, e0, d, s[0]);
            c1 = Scaled(c1, e1, d, s[blocks]);
            c2 = Scaled(c2, e2, d, s[2 * blocks]);
            c3 = Scaled(c3, e3, d, s[3 * blocks]);
        }
        Store(output, outputStride, c0, c1, c2, c3);
    }
}

internal static class WideTileSwitch
{
    public static readonly bool Enabled = WideInterleavedGemm.IsSupported && Environment.GetEnvironmentVariable("WAFER_WIDE_TILES") != "0";
}
