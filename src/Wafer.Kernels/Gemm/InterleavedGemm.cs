using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Gemm;

/// <summary>Dot products of 8 interleaved weight rows (<see cref="IInterleavedBlock"/>) with prepared Q8_0 activation rows (AVX-VNNI).</summary>
/// <remarks>
/// Each 32-bit lane of an accumulator belongs to one weight row, so a block's 8 vpdpbusd leave the 8 rows' exact integer
/// dot products in one register: one conversion and one FMA per block and activation row serve 8 weight rows, where the
/// row-major tiles (<see cref="Q8Gemm"/>) spend them per row. No horizontal sums at the end either: 8 adjacent outputs are one store.
/// Per row the sum is ggml's reference order: Σ_blocks (d_w·d_y)·Σ_k w·y, the block's integer sum exact, one F32 FMA per block
/// (as llama.cpp's repacked Q4_0 kernel sums; ggml's row-major AVX2 dot sums 8 lanes per block instead, so the two
/// differ in the last bits). Pointers: weights = the 8-row group's first block; activations = the first Q8_0 row;
/// scales/blockCorrections from <see cref="Q8Activations.Prepare"/> for the same first row; output[b·outputStride + r].
/// </remarks>
internal static unsafe class InterleavedGemm
{
    /// <summary>True where the kernels may run (AVX-VNNI or AVX2, with FMA: <see cref="U8Dot"/>).</summary>
    public static bool IsSupported => Q8Gemm.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot<T>(Vector256<int> sum, Vector256<byte> quants, byte* activation) where T : unmanaged, IInterleavedBlock =>
        U8Dot.Accumulate(sum, quants, Vector256.Create(*(int*)activation).AsSByte(), T.Offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scales(byte* block) => SimdOps.HalfToSingle(Vector128.Load((ushort*)block));

    /// <summary>8 weight rows × 4 activation rows (what is left of a batch after the 8×8 tiles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x4<T>(byte* weights, byte* activations, long activationRowBytes, float* scales, int* blockCorrections, int blocks, float* output, long outputStride)
        where T : unmanaged, IInterleavedBlock
    {
        Vector256<float> c0 = Vector256<float>.Zero, c1 = Vector256<float>.Zero, c2 = Vector256<float>.Zero, c3 = Vector256<float>.Zero;
        byte* y0 = activations + 2, y1 = y0 + activationRowBytes, y2 = y1 + activationRowBytes, y3 = y2 + activationRowBytes;
        float* s0 = scales, s1 = s0 + blocks, s2 = s1 + blocks, s3 = s2 + blocks;
        int* k0 = blockCorrections, k1 = k0 + blocks, k2 = k1 + blocks, k3 = k2 + blocks;
        for (int ib = 0; ib < blocks; ib++)
        {
            byte* w = weights + ib * T.BlockBytes;
            byte* q = w + 16;
            byte* a0 = y0 + ib * 34, a1 = y1 + ib * 34, a2 = y2 + ib * 34, a3 = y3 + ib * 34;
            // Two accumulators per activation row (even and odd groups) keep 8 independent vpdpbusd chains in flight.
            Vector256<int> e0 = U8Dot.Correction(k0[ib], T.Offset), e1 = U8Dot.Correction(k1[ib], T.Offset), e2 = U8Dot.Correction(k2[ib], T.Offset), e3 = U8Dot.Correction(k3[ib], T.Offset);
            Vector256<int> o0 = Vector256<int>.Zero, o1 = Vector256<int>.Zero, o2 = Vector256<int>.Zero, o3 = Vector256<int>.Zero;
            Vector256<byte> u = T.Group(q, 0);
            e0 = Dot<T>(e0, u, a0); e1 = Dot<T>(e1, u, a1); e2 = Dot<T>(e2, u, a2); e3 = Dot<T>(e3, u, a3);
            u = T.Group(q, 1);
            o0 = Dot<T>(o0, u, a0 + 4); o1 = Dot<T>(o1, u, a1 + 4); o2 = Dot<T>(o2, u, a2 + 4); o3 = Dot<T>(o3, u, a3 + 4);
            u = T.Group(q, 2);
            e0 = Dot<T>(e0, u, a0 + 8); e1 = Dot<T>(e1, u, a1 + 8); e2 = Dot<T>(e2, u, a2 + 8); e3 = Dot<T>(e3, u, a3 + 8);
            u = T.Group(q, 3);
            o0 = Dot<T>(o0, u, a0 + 12); o1 = Dot<T>(o1, u, a1 + 12); o2 = Dot<T>(o2, u, a2 + 12); o3 = Dot<T>(o3, u, a3 + 12);
            u = T.Group(q, 4);
            e0 = Dot<T>(e0, u, a0 + 16); e1 = Dot<T>(e1, u, a1 + 16); e2 = Dot<T>(e2, u, a2 + 16); e3 = Dot<T>(e3, u, a3 + 16);
            u = T.Group(q, 5);
            o0 = Dot<T>(o0, u, a0 + 20); o1 = Dot<T>(o1, u, a1 + 20); o2 = Dot<T>(o2, u, a2 + 20); o3 = Dot<T>(o3, u, a3 + 20);
            u = T.Group(q, 6);
            e0 = Dot<T>(e0, u, a0 + 24); e1 = Dot<T>(e1, u, a1 + 24); e2 = Dot<T>(e2, u, a2 + 24); e3 = Dot<T>(e3, u, a3 + 24);
            u = T.Group(q, 7);
            o0 = Dot<T>(o0, u, a0 + 28); o1 = Dot<T>(o1, u, a1 + 28); o2 = Dot<T>(o2, u, a2 + 28); o3 = Dot<T>(o3, u, a3 + 28);
            Vector256<float> d = Scales(w);
            c0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(e0 + o0), d * Vector256.Create(s0[ib]), c0);
            c1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(e1 + o1), d * Vector256.Create(s1[ib]), c1);
            c2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(e2 + o2), d * Vector256.Create(s2[ib]), c2);
            c3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(e3 + o3), d * Vector256.Create(s3[ib]), c3);
        }
        c0.Store(output);
        c1.Store(output + outputStride);
        c2.Store(output + 2 * outputStride);
        c3.Store(output + 3 * outputStride);
    }

    /// <summary>8 weight rows × 8 activation rows: the prompt tile (eight independent vpdpbusd chains, about 1.1× the 8×4 tile).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x8<T>(byte* weights, byte* activations, long activationRowBytes, float* scales, int* blockCorrections, int blocks, float* output, long outputStride)
        where T : unmanaged, IInterleavedBlock
    {
        Vector256<float> c0 = Vector256<float>.Zero, c1 = Vector256<float>.Zero, c2 = Vector256<float>.Zero, c3 = Vector256<float>.Zero;
        Vector256<float> c4 = Vector256<float>.Zero, c5 = Vector256<float>.Zero, c6 = Vector256<float>.Zero, c7 = Vector256<float>.Zero;
        long stride = activationRowBytes;
        byte* y0 = activations + 2, y1 = y0 + stride, y2 = y1 + stride, y3 = y2 + stride, y4 = y3 + stride, y5 = y4 + stride, y6 = y5 + stride, y7 = y6 + stride;
        float* s0 = scales, s1 = s0 + blocks, s2 = s1 + blocks, s3 = s2 + blocks, s4 = s3 + blocks, s5 = s4 + blocks, s6 = s5 + blocks, s7 = s6 + blocks;
        int* k0 = blockCorrections, k1 = k0 + blocks, k2 = k1 + blocks, k3 = k2 + blocks, k4 = k3 + blocks, k5 = k4 + blocks, k6 = k5 + blocks, k7 = k6 + blocks;
        for (int ib = 0; ib < blocks; ib++)
        {
            byte* w = weights + ib * T.BlockBytes;
            byte* q = w + 16;
            byte* a0 = y0 + ib * 34, a1 = y1 + ib * 34, a2 = y2 + ib * 34, a3 = y3 + ib * 34, a4 = y4 + ib * 34, a5 = y5 + ib * 34, a6 = y6 + ib * 34, a7 = y7 + ib * 34;
            Vector256<int> e0 = U8Dot.Correction(k0[ib], T.Offset), e1 = U8Dot.Correction(k1[ib], T.Offset), e2 = U8Dot.Correction(k2[ib], T.Offset), e3 = U8Dot.Correction(k3[ib], T.Offset);
            Vector256<int> e4 = U8Dot.Correction(k4[ib], T.Offset), e5 = U8Dot.Correction(k5[ib], T.Offset), e6 = U8Dot.Correction(k6[ib], T.Offset), e7 = U8Dot.Correction(k7[ib], T.Offset);
            Vector256<byte> u = T.Group(q, 0);
            e0 = Dot<T>(e0, u, a0); e1 = Dot<T>(e1, u, a1); e2 = Dot<T>(e2, u, a2); e3 = Dot<T>(e3, u, a3);
            e4 = Dot<T>(e4, u, a4); e5 = Dot<T>(e5, u, a5); e6 = Dot<T>(e6, u, a6); e7 = Dot<T>(e7, u, a7);
            u = T.Group(q, 1);
            e0 = Dot<T>(e0, u, a0 + 4); e1 = Dot<T>(e1, u, a1 + 4); e2 = Dot<T>(e2, u, a2 + 4); e3 = Dot<T>(e3, u, a3 + 4);
            e4 = Dot<T>(e4, u, a4 + 4); e5 = Dot<T>(e5, u, a5 + 4); e6 = Dot<T>(e6, u, a6 + 4); e7 = Dot<T>(e7, u, a7 + 4);
            u = T.Group(q, 2);
            e0 = Dot<T>(e0, u, a0 + 8); e1 = Dot<T>(e1, u, a1 + 8); e2 = Dot<T>(e2, u, a2 + 8); e3 = Dot<T>(e3, u, a3 + 8);
            e4 = Dot<T>(e4, u, a4 + 8); e5 = Dot<T>(e5, u, a5 + 8); e6 = Dot<T>(e6, u, a6 + 8); e7 = Dot<T>(e7, u, a7 + 8);
            u = T.Group(q, 3);
            e0 = Dot<T>(e0, u, a0 + 12); e1 = Dot<T>(e1, u, a1 + 12); e2 = Dot<T>(e2, u, a2 + 12); e3 = Dot<T>(e3, u, a3 + 12);
            e4 = Dot<T>(e4, u, a4 + 12); e5 = Dot<T>(e5, u, a5 + 12); e6 = Dot<T>(e6, u, a6 + 12); e7 = Dot<T>(e7, u, a7 + 12);
            u = T.Group(q, 4);
            e0 = Dot<T>(e0, u, a0 + 16); e1 = Dot<T>(e1, u, a1 + 16); e2 = Dot<T>(e2, u, a2 + 16); e3 = Dot<T>(e3, u, a3 + 16);
            e4 = Dot<T>(e4, u, a4 + 16); e5 = Dot<T>(e5, u, a5 + 16); e6 = Dot<T>(e6, u, a6 + 16); e7 = Dot<T>(e7, u, a7 + 16);
            u = T.Group(q, 5);
            e0 = Dot<T>(e0, u, a0 + 20); e1 = Dot<T>(e1, u, a1 + 20); e2 = Dot<T>(e2, u, a2 + 20); e3 = Dot<T>(e3, u, a3 + 20);
            e4 = Dot<T>(e4, u, a4 + 20); e5 = Dot<T>(e5, u, a5 + 20); e6 = Dot<T>(e6, u, a6 + 20); e7 = Dot<T>(e7, u, a7 + 20);
            u = T.Group(q, 6);
            e0 = Dot<T>(e0, u, a0 + 24); e1 = Dot<T>(e1, u, a1 + 24); e2 = Dot<T>(e2, u, a2 + 24); e3 = Dot<T>(e3, u, a3 + 24);
            e4 = Dot<T>(e4, u, a4 + 24); e5 = Dot<T>(e5, u, a5 + 24); e6 = Dot<T>(e6, u, a6 + 24); e7 = Dot<T>(e7, u, a7 + 24);
            u = T.Group(q, 7);
            e0 = Dot<T>(e0, u, a0 + 28); e1 = Dot<T>(e1, u, a1 + 28); e2 = Dot<T>(e2, u, a2 + 28); e3 = Dot<T>(e3, u, a3 + 28);
            e4 = Dot<T>(e4, u, a4 + 28); e5 = Dot<T>(e5, u, a5 + 28); e6 = Dot<T>(e6, u, a6 + 28); e7 = Dot<T>(e7, u, a7 + 28);
            Vector256<float> d = Scales(w);
            c0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(e0), d * Vector256.Create(s0[ib]), c0);
            c1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(e1), d * Vector256.Create(s1[ib]), c1);
            c2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(e2), d * Vector256.Create(s2[ib]), c2);
            c3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(e3), d * Vector256.Create(s3[ib]), c3);
            c4 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(e4), d * Vector256.Create(s4[ib]), c4);
            c5 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(e5), d * Vector256.Create(s5[ib]), c5);
            c6 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(e6), d * Vector256.Create(s6[ib]), c6);
            c7 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(e7), d * Vector256.Create(s7[ib]), c7);
        }
        c0.Store(output + 0 * outputStride);
        c1.Store(output + 1 * outputStride);
        c2.Store(output + 2 * outputStride);
        c3.Store(output + 3 * outputStride);
        c4.Store(output + 4 * outputStride);
        c5.Store(output + 5 * outputStride);
        c6.Store(output + 6 * outputStride);
        c7.Store(output + 7 * outputStride);
    }

    /// <summary>8 weight rows × 1 activation row (decode). The 8 rows are one contiguous stream; it asks for it about
    /// <see cref="Q8Gemm.PrefetchBytes"/> ahead, once per 64-byte line.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x1<T>(byte* weights, byte* activation, float* scales, int* blockCorrections, int blocks, float* output)
        where T : unmanaged, IInterleavedBlock
    {
        Vector256<float> c = Vector256<float>.Zero;
        byte* y = activation + 2;
        byte* prefetched = weights + Q8Gemm.PrefetchBytes;
        for (int ib = 0; ib < blocks; ib++)
        {
            byte* w = weights + ib * T.BlockBytes;
            for (; prefetched < w + Q8Gemm.PrefetchBytes + T.BlockBytes; prefetched += 64) Sse.Prefetch0(prefetched);
            byte* q = w + 16;
            byte* a = y + ib * 34;
            Vector256<int> e = U8Dot.Correction(blockCorrections[ib], T.Offset), o = Vector256<int>.Zero;
            e = Dot<T>(e, T.Group(q, 0), a);
            o = Dot<T>(o, T.Group(q, 1), a + 4);
            e = Dot<T>(e, T.Group(q, 2), a + 8);
            o = Dot<T>(o, T.Group(q, 3), a + 12);
            e = Dot<T>(e, T.Group(q, 4), a + 16);
            o = Dot<T>(o, T.Group(q, 5), a + 20);
            e = Dot<T>(e, T.Group(q, 6), a + 24);
            o = Dot<T>(o, T.Group(q, 7), a + 28);
            c = Fma.MultiplyAdd(Avx.ConvertToVector256Single(e + o), Scales(w) * Vector256.Create(scales[ib]), c);
        }
        c.Store(output);
    }

    /// <summary>The scalar twin of <see cref="Tile8x1{T}"/> (and of each column of <see cref="Tile8x4{T}"/>), bit for bit.</summary>
    public static void Dot8Scalar<T>(byte* weights, byte* activation, float* scales, int* blockCorrections, int blocks, float* output)
        where T : unmanaged, IInterleavedBlock
    {
        for (int r = 0; r < 8; r++)
        {
            float acc = 0;
            for (int ib = 0; ib < blocks; ib++)
            {
                byte* w = weights + ib * T.BlockBytes;
                sbyte* y = (sbyte*)(activation + ib * 34 + 2);
                int sum = blockCorrections[ib];
                for (int k = 0; k < 32; k++) sum += T.QuantScalar(w + 16, r, k) * y[k];
                acc = MathF.FusedMultiplyAdd(sum, HalfTable.ToSingle(w + 2 * r) * scales[ib], acc);
            }
            output[r] = acc;
        }
    }
}
