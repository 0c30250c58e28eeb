using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>Q4_K: 256 4-bit quants in 8 groups of 32, each with a 6-bit scale and min (x = d·sc·q − dmin·m).</summary>
public static class Q4KKernels
{
    private const int Qk = QuantMath.SuperBlockSize;

    /// <summary>Mirrors <c>dequantize_row_q4_K</c>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int nb = QuantMath.BlockCount(destination.Length, Qk);
        QuantMath.RequireBytes(source.Length, (long)nb * BlockQ4K.ByteCount, nameof(source));
        ReadOnlySpan<BlockQ4K> x = MemoryMarshal.Cast<byte, BlockQ4K>(source);
        int yi = 0;
        for (int i = 0; i < nb; i++)
        {
            ref readonly BlockQ4K b = ref x[i];
            float d = (float)b.D;
            float min = (float)b.DMin;
            int q = 0;
            for (int j = 0, scaleIndex = 0; j < Qk; j += 64, scaleIndex += 2)
            {
                KQuantSolvers.GetScaleMinK4(scaleIndex + 0, b.Scales, out byte sc, out byte m);
                float d1 = d * sc, m1 = min * m;
                KQuantSolvers.GetScaleMinK4(scaleIndex + 1, b.Scales, out sc, out m);
                float d2 = d * sc, m2 = min * m;
                for (int l = 0; l < 32; ++l) destination[yi++] = d1 * (b.Qs[q + l] & 0xF) - m1;
                for (int l = 0; l < 32; ++l) destination[yi++] = d2 * (b.Qs[q + l] >> 4) - m2;
                q += 32;
            }
        }
    }

    /// <summary>Mirrors <c>quantize_row_q4_K_ref</c> (make_qkx2_quants per 32 with weights av_x + |x|, 6-bit scales and mins).</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) =>
        KQuant45.Quantize(source, destination, BlockQ4K.ByteCount, nmax: 15, rmin: -1.0f, nstep: 20, WritePacked);

    private static void WritePacked(Span<byte> block, ReadOnlySpan<byte> levels)
    {
        Span<byte> q = block.Slice(16, 128);
        for (int j = 0, o = 0; j < Qk; j += 64, o += 32)
        {
            for (int l = 0; l < 32; ++l) q[o + l] = (byte)(levels[j + l] | (levels[j + l + 32] << 4));
        }
    }

    /// <summary>Q4_K · Q8_K over <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) =>
        SimdOps.Avx2Fma ? DotAvx2(weights, activations, count) : DotScalar(weights, activations, count);

    /// <summary>Mirrors <c>ggml_vec_dot_q4_K_q8_K_generic</c> (8 lane accumulators, as written there).</summary>
    internal static float DotScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = CheckedBlocks(weights, activations, count);
        ReadOnlySpan<BlockQ4K> x = MemoryMarshal.Cast<byte, BlockQ4K>(weights);
        ReadOnlySpan<BlockQ8K> y = MemoryMarshal.Cast<byte, BlockQ8K>(activations);
        Span<float> sums = stackalloc float[8];
        Span<int> aux32 = stackalloc int[8];
        Span<byte> scales = stackalloc byte[8];
        Span<byte> mins = stackalloc byte[8];
        sums.Clear();
        float sumf = 0;
        for (int i = 0; i < nb; ++i)
        {
            ref readonly BlockQ4K bx = ref x[i];
            ref readonly BlockQ8K by = ref y[i];
            aux32.Clear();
            for (int j = 0; j < 8; ++j) KQuantSolvers.GetScaleMinK4(j, bx.Scales, out scales[j], out mins[j]);
            int sumi = 0;
            for (int j = 0; j < Qk / 16; ++j) sumi += by.BSums[j] * mins[j / 2];
            for (int j = 0; j < Qk / 32; ++j)
            {
                int scale = scales[j];
                int q4 = (j / 2) * 32;
                int shift = (j % 2) * 4;
                for (int part = 0; part < 4; ++part)
                {
                    for (int l = 0; l < 8; ++l)
                    {
                        int a = (bx.Qs[q4 + part * 8 + l] >> shift) & 0xF;
                        aux32[l] += scale * (short)(by.Qs[j * 32 + part * 8 + l] * a);
                    }
                }
            }

            float d = (float)bx.D * by.D;
            for (int l = 0; l < 8; ++l) sums[l] += d * aux32[l];
            float dmin = (float)bx.DMin * by.D;
            sumf -= dmin * sumi;
        }

        for (int l = 0; l < 8; ++l) sumf += sums[l];
        return sumf;
    }

    /// <summary>AVX2 twin of <see cref="DotScalar"/> in the shape of ggml's AVX2 <c>ggml_vec_dot_q4_K_q8_K</c>: exact int32 sums per super-block, F32 lanes across.</summary>
    internal static float DotAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = CheckedBlocks(weights, activations, count);
        ReadOnlySpan<BlockQ4K> x = MemoryMarshal.Cast<byte, BlockQ4K>(weights);
        ReadOnlySpan<BlockQ8K> y = MemoryMarshal.Cast<byte, BlockQ8K>(activations);
        Vector256<byte> lowMask = Vector256.Create((byte)0xF);
        Vector256<float> acc = Vector256<float>.Zero;
        float accMin = 0;
        for (int i = 0; i < nb; ++i)
        {
            ref readonly BlockQ4K bx = ref x[i];
            ref readonly BlockQ8K by = ref y[i];
            ref byte q4 = ref MemoryMarshal.GetReference((ReadOnlySpan<byte>)bx.Qs);
            ref sbyte q8 = ref MemoryMarshal.GetReference((ReadOnlySpan<sbyte>)by.Qs);
            int minSum = 0;
            Vector256<int> sumi = Vector256<int>.Zero;
            for (int j = 0; j < 4; ++j)
            {
                KQuantSolvers.GetScaleMinK4(2 * j, bx.Scales, out byte scaleLow, out byte minLow);
                KQuantSolvers.GetScaleMinK4(2 * j + 1, bx.Scales, out byte scaleHigh, out byte minHigh);
                minSum += (by.BSums[4 * j] + by.BSums[4 * j + 1]) * minLow + (by.BSums[4 * j + 2] + by.BSums[4 * j + 3]) * minHigh;
                Vector256<byte> bits = Vector256.LoadUnsafe(ref q4, (nuint)(32 * j));
                Vector256<byte> low = bits & lowMask;
                Vector256<byte> high = Vector256.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & lowMask;
                Vector256<sbyte> q8Low = Vector256.LoadUnsafe(ref q8, (nuint)(64 * j));
                Vector256<sbyte> q8High = Vector256.LoadUnsafe(ref q8, (nuint)(64 * j + 32));
                Vector256<short> p16Low = Avx2.MultiplyAddAdjacent(low, q8Low);
                Vector256<short> p16High = Avx2.MultiplyAddAdjacent(high, q8High);
                sumi += Avx2.MultiplyAddAdjacent(p16Low, Vector256.Create((short)scaleLow));
                sumi += Avx2.MultiplyAddAdjacent(p16High, Vector256.Create((short)scaleHigh));
            }

            acc = Fma.MultiplyAdd(Vector256.Create((float)bx.D * by.D), Avx.ConvertToVector256Single(sumi), acc);
            accMin += (float)bx.DMin * by.D * minSum;
        }

        return SimdOps.HorizontalSum(acc) - accMin;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CheckedBlocks(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = QuantMath.BlockCount(count, Qk);
        QuantMath.RequireBytes(weights.Length, (long)nb * BlockQ4K.ByteCount, nameof(weights));
        QuantMath.RequireBytes(activations.Length, (long)nb * BlockQ8K.ByteCount, nameof(activations));
        return nb;
    }
}
