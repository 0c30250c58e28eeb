using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Gemm;

/// <summary>Register-tiled dot products of Q8_0-family weight rows (<see cref="IQ8WeightBlock"/>) with prepared Q8_0 activation rows (AVX-VNNI, or AVX2 where the CPU lacks it: <see cref="U8Dot"/>).</summary>
/// <remarks>
/// A tile keeps R×B accumulators in registers, so each weight block is unpacked once for B activation rows and each
/// activation block is loaded once for R weight rows. Every (row, activation) pair is summed exactly as
/// <see cref="Dot1x1Scalar{T}"/> does — 8 F32 lanes, d·Σ per block, ggml's lane order at the end — so results do not depend on the tiling
/// and equal ggml's AVX2 vec_dot bit for bit. Pointers: weights = first row's first block; activations = first Q8_0 row;
/// scales/corrections from <see cref="Q8Activations.Prepare"/> for the same first row.
/// </remarks>
internal static unsafe class Q8Gemm
{
    /// <summary>True where the tiles may run (AVX-VNNI or AVX2, with FMA: <see cref="U8Dot"/>).</summary>
    public static bool IsSupported => U8Dot.IsSupported;

    /// <summary>About how far ahead of the weights being read <see cref="Tile4x1"/> asks for more (bytes).</summary>
    /// <remarks>Decode reads each weight once, as four interleaved row streams the hardware prefetcher follows poorly: without
    /// software prefetch one thread reads 9 GB/s from memory, with it 19 GB/s (bench/Wafer.Benchmarks quick). 4–16 KiB all help;
    /// 8 KiB measured best over the benchmark models.</remarks>
    public const int PrefetchBytes = 8192;

    /// <summary>The prefetch distance for rows of <paramref name="rowBytes"/>: whole 4-row tiles, 1 to 4 of them, nearest <see cref="PrefetchBytes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long PrefetchDistance(long rowBytes) => 4 * rowBytes * Math.Clamp((PrefetchBytes + 2 * rowBytes) / (4 * rowBytes), 1, 4);

    /// <summary>4 weight rows × 4 activation rows; writes output[b·outputStride + r].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x4<T>(byte* weights, long rowBytes, byte* activations, long activationRowBytes, float* scales, int* corrections, int blocks, float* output, long outputStride)
        where T : unmanaged, IQ8WeightBlock
    {
        Vector256<float> c00 = Vector256<float>.Zero;
        Vector256<float> c01 = Vector256<float>.Zero;
        Vector256<float> c02 = Vector256<float>.Zero;
        Vector256<float> c03 = Vector256<float>.Zero;
        Vector256<float> c10 = Vector256<float>.Zero;
        Vector256<float> c11 = Vector256<float>.Zero;
        Vector256<float> c12 = Vector256<float>.Zero;
        Vector256<float> c13 = Vector256<float>.Zero;
        Vector256<float> c20 = Vector256<float>.Zero;
        Vector256<float> c21 = Vector256<float>.Zero;
        Vector256<float> c22 = Vector256<float>.Zero;
        Vector256<float> c23 = Vector256<float>.Zero;
        Vector256<float> c30 = Vector256<float>.Zero;
        Vector256<float> c31 = Vector256<float>.Zero;
        Vector256<float> c32 = Vector256<float>.Zero;
        Vector256<float> c33 = Vector256<float>.Zero;
        byte* a0 = activations + 0 * activationRowBytes + 2;
        float* s0 = scales + 0 * blocks;
        int* k0 = corrections + 0 * blocks * 8;
        byte* a1 = activations + 1 * activationRowBytes + 2;
        float* s1 = scales + 1 * blocks;
        int* k1 = corrections + 1 * blocks * 8;
        byte* a2 = activations + 2 * activationRowBytes + 2;
        float* s2 = scales + 2 * blocks;
        int* k2 = corrections + 2 * blocks * 8;
        byte* a3 = activations + 3 * activationRowBytes + 2;
        float* s3 = scales + 3 * blocks;
        int* k3 = corrections + 3 * blocks * 8;
        for (int ib = 0; ib < blocks; ib++)
        {
            byte* w0 = weights + ib * T.BlockBytes;
            Vector256<byte> u0 = T.Unpack(w0);
            Vector256<float> d0 = Vector256.Create(T.Scale(w0));
            byte* w1 = w0 + 1 * rowBytes;
            Vector256<byte> u1 = T.Unpack(w1);
            Vector256<float> d1 = Vector256.Create(T.Scale(w1));
            byte* w2 = w0 + 2 * rowBytes;
            Vector256<byte> u2 = T.Unpack(w2);
            Vector256<float> d2 = Vector256.Create(T.Scale(w2));
            byte* w3 = w0 + 3 * rowBytes;
            Vector256<byte> u3 = T.Unpack(w3);
            Vector256<float> d3 = Vector256.Create(T.Scale(w3));
            Vector256<sbyte> y0 = Vector256.Load((sbyte*)(a0 + ib * 34));
            Vector256<int> z0 = U8Dot.Correction(k0 + ib * 8, T.Offset);
            Vector256<float> e0 = Vector256.Create(s0[ib]);
            c00 = Fma.MultiplyAdd(d0 * e0, Avx.ConvertToVector256Single(U8Dot.Accumulate(z0, u0, y0, T.Offset)), c00);
            c10 = Fma.MultiplyAdd(d1 * e0, Avx.ConvertToVector256Single(U8Dot.Accumulate(z0, u1, y0, T.Offset)), c10);
            c20 = Fma.MultiplyAdd(d2 * e0, Avx.ConvertToVector256Single(U8Dot.Accumulate(z0, u2, y0, T.Offset)), c20);
            c30 = Fma.MultiplyAdd(d3 * e0, Avx.ConvertToVector256Single(U8Dot.Accumulate(z0, u3, y0, T.Offset)), c30);
            Vector256<sbyte> y1 = Vector256.Load((sbyte*)(a1 + ib * 34));
            Vector256<int> z1 = U8Dot.Correction(k1 + ib * 8, T.Offset);
            Vector256<float> e1 = Vector256.Create(s1[ib]);
            c01 = Fma.MultiplyAdd(d0 * e1, Avx.ConvertToVector256Single(U8Dot.Accumulate(z1, u0, y1, T.Offset)), c01);
            c11 = Fma.MultiplyAdd(d1 * e1, Avx.ConvertToVector256Single(U8Dot.Accumulate(z1, u1, y1, T.Offset)), c11);
            c21 = Fma.MultiplyAdd(d2 * e1, Avx.ConvertToVector256Single(U8Dot.Accumulate(z1, u2, y1, T.Offset)), c21);
            c31 = Fma.MultiplyAdd(d3 * e1, Avx.ConvertToVector256Single(U8Dot.Accumulate(z1, u3, y1, T.Offset)), c31);
            Vector256<sbyte> y2 = Vector256.Load((sbyte*)(a2 + ib * 34));
            Vector256<int> z2 = U8Dot.Correction(k2 + ib * 8, T.Offset);
            Vector256<float> e2 = Vector256.Create(s2[ib]);
            c02 = Fma.MultiplyAdd(d0 * e2, Avx.ConvertToVector256Single(U8Dot.Accumulate(z2, u0, y2, T.Offset)), c02);
            c12 = Fma.MultiplyAdd(d1 * e2, Avx.ConvertToVector256Single(U8Dot.Accumulate(z2, u1, y2, T.Offset)), c12);
            c22 = Fma.MultiplyAdd(d2 * e2, Avx.ConvertToVector256Single(U8Dot.Accumulate(z2, u2, y2, T.Offset)), c22);
            c32 = Fma.MultiplyAdd(d3 * e2, Avx.ConvertToVector256Single(U8Dot.Accumulate(z2, u3, y2, T.Offset)), c32);
            Vector256<sbyte> y3 = Vector256.Load((sbyte*)(a3 + ib * 34));
            Vector256<int> z3 = U8Dot.Correction(k3 + ib * 8, T.Offset);
            Vector256<float> e3 = Vector256.Create(s3[ib]);
            c03 = Fma.MultiplyAdd(d0 * e3, Avx.ConvertToVector256Single(U8Dot.Accumulate(z3, u0, y3, T.Offset)), c03);
            c13 = Fma.MultiplyAdd(d1 * e3, Avx.ConvertToVector256Single(U8Dot.Accumulate(z3, u1, y3, T.Offset)), c13);
            c23 = Fma.MultiplyAdd(d2 * e3, Avx.ConvertToVector256Single(U8Dot.Accumulate(z3, u2, y3, T.Offset)), c23);
            c33 = Fma.MultiplyAdd(d3 * e3, Avx.ConvertToVector256Single(U8Dot.Accumulate(z3, u3, y3, T.Offset)), c33);
        }
        output[0 * outputStride + 0] = SimdOps.HorizontalSum(c00);
        output[1 * outputStride + 0] = SimdOps.HorizontalSum(c01);
        output[2 * outputStride + 0] = SimdOps.HorizontalSum(c02);
        output[3 * outputStride + 0] = SimdOps.HorizontalSum(c03);
        output[0 * outputStride + 1] = SimdOps.HorizontalSum(c10);
        output[1 * outputStride + 1] = SimdOps.HorizontalSum(c11);
        output[2 * outputStride + 1] = SimdOps.HorizontalSum(c12);
        output[3 * outputStride + 1] = SimdOps.HorizontalSum(c13);
        output[0 * outputStride + 2] = SimdOps.HorizontalSum(c20);
        output[1 * outputStride + 2] = SimdOps.HorizontalSum(c21);
        output[2 * outputStride + 2] = SimdOps.HorizontalSum(c22);
        output[3 * outputStride + 2] = SimdOps.HorizontalSum(c23);
        output[0 * outputStride + 3] = SimdOps.HorizontalSum(c30);
        output[1 * outputStride + 3] = SimdOps.HorizontalSum(c31);
        output[2 * outputStride + 3] = SimdOps.HorizontalSum(c32);
        output[3 * outputStride + 3] = SimdOps.HorizontalSum(c33);
    }

    /// <summary>4 weight rows × 1 activation row (decode); writes output[r]. Asks for the weight tiles about <see cref="PrefetchBytes"/> ahead,
    /// once per 64-byte line of each of the four rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x1<T>(byte* weights, long rowBytes, byte* activations, long activationRowBytes, float* scales, int* corrections, int blocks, float* output, long outputStride)
        where T : unmanaged, IQ8WeightBlock
    {
        Vector256<float> c00 = Vector256<float>.Zero;
        Vector256<float> c10 = Vector256<float>.Zero;
        Vector256<float> c20 = Vector256<float>.Zero;
        Vector256<float> c30 = Vector256<float>.Zero;
        byte* a0 = activations + 0 * activationRowBytes + 2;
        float* s0 = scales + 0 * blocks;
        int* k0 = corrections + 0 * blocks * 8;
        long ahead = PrefetchDistance(rowBytes);
        byte* prefetched = weights + ahead;
        for (int ib = 0; ib < blocks; ib++)
        {
            byte* w0 = weights + ib * T.BlockBytes;
            if (w0 + ahead + T.BlockBytes > prefetched)
            {
                Sse.Prefetch0(prefetched);
                Sse.Prefetch0(prefetched + rowBytes);
                Sse.Prefetch0(prefetched + 2 * rowBytes);
                Sse.Prefetch0(prefetched + 3 * rowBytes);
                prefetched += 64;
            }
            Vector256<byte> u0 = T.Unpack(w0);
            Vector256<float> d0 = Vector256.Create(T.Scale(w0));
            byte* w1 = w0 + 1 * rowBytes;
            Vector256<byte> u1 = T.Unpack(w1);
            Vector256<float> d1 = Vector256.Create(T.Scale(w1));
            byte* w2 = w0 + 2 * rowBytes;
            Vector256<byte> u2 = T.Unpack(w2);
            Vector256<float> d2 = Vector256.Create(T.Scale(w2));
            byte* w3 = w0 + 3 * rowBytes;
            Vector256<byte> u3 = T.Unpack(w3);
            Vector256<float> d3 = Vector256.Create(T.Scale(w3));
            Vector256<sbyte> y0 = Vector256.Load((sbyte*)(a0 + ib * 34));
            Vector256<int> z0 = U8Dot.Correction(k0 + ib * 8, T.Offset);
            Vector256<float> e0 = Vector256.Create(s0[ib]);
            c00 = Fma.MultiplyAdd(d0 * e0, Avx.ConvertToVector256Single(U8Dot.Accumulate(z0, u0, y0, T.Offset)), c00);
            c10 = Fma.MultiplyAdd(d1 * e0, Avx.ConvertToVector256Single(U8Dot.Accumulate(z0, u1, y0, T.Offset)), c10);
            c20 = Fma.MultiplyAdd(d2 * e0, Avx.ConvertToVector256Single(U8Dot.Accumulate(z0, u2, y0, T.Offset)), c20);
            c30 = Fma.MultiplyAdd(d3 * e0, Avx.ConvertToVector256Single(U8Dot.Accumulate(z0, u3, y0, T.Offset)), c30);
        }
        output[0 * outputStride + 0] = SimdOps.HorizontalSum(c00);
        output[0 * outputStride + 1] = SimdOps.HorizontalSum(c10);
        output[0 * outputStride + 2] = SimdOps.HorizontalSum(c20);
        output[0 * outputStride + 3] = SimdOps.HorizontalSum(c30);
    }

    /// <summary>One weight row × one activation row (the edges of a matrix).</summary>
    public static float Dot1x1<T>(byte* weights, byte* activation, float* scales, int* corrections, int blocks)
        where T : unmanaged, IQ8WeightBlock
    {
        Vector256<float> acc = Vector256<float>.Zero;
        for (int ib = 0; ib < blocks; ib++)
        {
            byte* w = weights + ib * T.BlockBytes;
            Vector256<sbyte> y = Vector256.Load((sbyte*)(activation + ib * 34 + 2));
            Vector256<int> dot = U8Dot.Accumulate(U8Dot.Correction(corrections + ib * 8, T.Offset), T.Unpack(w), y, T.Offset);
            acc = Fma.MultiplyAdd(Vector256.Create(T.Scale(w)) * Vector256.Create(scales[ib]), Avx.ConvertToVector256Single(dot), acc);
        }
        return SimdOps.HorizontalSum(acc);
    }

    /// <summary>The scalar twin of <see cref="Dot1x1{T}"/>, lane for lane.</summary>
    public static float Dot1x1Scalar<T>(byte* weights, byte* activation, float* scales, int* corrections, int blocks)
        where T : unmanaged, IQ8WeightBlock
    {
        Span<float> acc = stackalloc float[8];
        acc.Clear();
        for (int ib = 0; ib < blocks; ib++)
        {
            byte* w = weights + ib * T.BlockBytes;
            sbyte* y = (sbyte*)(activation + ib * 34 + 2);
            float d = T.Scale(w) * scales[ib];
            for (int l = 0; l < 8; l++)
            {
                int sum = corrections[ib * 8 + l];
                for (int k = 4 * l; k < 4 * l + 4; k++) sum += T.UnpackScalar(w, k) * y[k];
                acc[l] = MathF.FusedMultiplyAdd(d, sum, acc[l]);
            }
        }
        float r0 = acc[0] + acc[4], r1 = acc[1] + acc[5], r2 = acc[2] + acc[6], r3 = acc[3] + acc[7];
        return (r0 + r2) + (r1 + r3);
    }
}
