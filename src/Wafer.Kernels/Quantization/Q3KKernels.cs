using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>Q3_K: 256 3-bit quants (2 low bits + a high-bit mask) in 16 groups with 6-bit signed scales.</summary>
public static class Q3KKernels
{
    private const int Qk = QuantMath.SuperBlockSize;
    private const uint KMask1 = 0x03030303;
    private const uint KMask2 = 0x0f0f0f0f;

    /// <summary>Unpacks the 12 scale bytes into 16 signed scales biased by 32, as the kmask1/kmask2 shuffle in ggml does.</summary>
    private static void UnpackScales(ReadOnlySpan<byte> packed, Span<uint> aux)
    {
        aux[0] = BinaryPrimitives.ReadUInt32LittleEndian(packed);
        aux[1] = BinaryPrimitives.ReadUInt32LittleEndian(packed[4..]);
        aux[2] = BinaryPrimitives.ReadUInt32LittleEndian(packed[8..]);
        uint tmp = aux[2];
        aux[2] = ((aux[0] >> 4) & KMask2) | (((tmp >> 4) & KMask1) << 4);
        aux[3] = ((aux[1] >> 4) & KMask2) | (((tmp >> 6) & KMask1) << 4);
        aux[0] = (aux[0] & KMask2) | (((tmp >> 0) & KMask1) << 4);
        aux[1] = (aux[1] & KMask2) | (((tmp >> 2) & KMask1) << 4);
    }

    /// <summary>Mirrors <c>dequantize_row_q3_K</c>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int nb = QuantMath.BlockCount(destination.Length, Qk);
        QuantMath.RequireBytes(source.Length, (long)nb * BlockQ3K.ByteCount, nameof(source));
        ReadOnlySpan<BlockQ3K> x = MemoryMarshal.Cast<byte, BlockQ3K>(source);
        Span<uint> aux = stackalloc uint[4];
        ReadOnlySpan<sbyte> scales = MemoryMarshal.Cast<uint, sbyte>(aux);
        int yi = 0;
        for (int i = 0; i < nb; i++)
        {
            ref readonly BlockQ3K b = ref x[i];
            float dAll = (float)b.D;
            UnpackScales(b.Scales, aux);
            int q = 0;
            int m = 1;
            int scaleIndex = 0;
            for (int n = 0; n < Qk; n += 128)
            {
                int shift = 0;
                for (int j = 0; j < 4; ++j)
                {
                    float dl = dAll * (scales[scaleIndex++] - 32);
                    for (int l = 0; l < 16; ++l)
                    {
                        destination[yi++] = dl * (((b.Qs[q + l] >> shift) & 3) - ((b.HMask[l] & m) != 0 ? 0 : 4));
                    }

                    dl = dAll * (scales[scaleIndex++] - 32);
                    for (int l = 0; l < 16; ++l)
                    {
                        destination[yi++] = dl * (((b.Qs[q + l + 16] >> shift) & 3) - ((b.HMask[l + 16] & m) != 0 ? 0 : 4));
                    }

                    shift += 2;
                    m <<= 1;
                }

                q += 32;
            }
        }
    }

    /// <summary>Mirrors <c>quantize_row_q3_K_ref</c> (make_q3_quants per 16 with RMSE refinement, 6-bit scales).</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockQ3K.ByteCount, nameof(destination));
        Span<BlockQ3K> y = MemoryMarshal.Cast<byte, BlockQ3K>(destination);
        Span<sbyte> levels = stackalloc sbyte[Qk];
        Span<float> scales = stackalloc float[Qk / 16];
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = source.Slice(i * Qk, Qk);
            ref BlockQ3K b = ref y[i];
            float maxScale = 0;
            float amax = 0;
            for (int j = 0; j < Qk / 16; ++j)
            {
                scales[j] = KQuantSolvers.MakeQ3Quants(16, 4, x.Slice(16 * j, 16), levels.Slice(16 * j, 16), true);
                float scale = MathF.Abs(scales[j]);
                if (scale > amax)
                {
                    amax = scale;
                    maxScale = scales[j];
                }
            }

            Span<byte> packed = b.Scales;
            packed.Clear();
            if (maxScale != 0)
            {
                float iscale = -32.0f / maxScale;
                for (int j = 0; j < Qk / 16; ++j)
                {
                    sbyte l8 = (sbyte)QuantMath.NearestInt(iscale * scales[j]);
                    int l = Math.Max(-32, Math.Min(31, (int)l8)) + 32;
                    if (j < 8)
                    {
                        packed[j] = (byte)(l & 0xF);
                    }
                    else
                    {
                        packed[j - 8] |= (byte)((l & 0xF) << 4);
                    }

                    l >>= 4;
                    packed[j % 4 + 8] |= (byte)(l << (2 * (j / 4)));
                }

                b.D = (Half)(1 / iscale);
            }
            else
            {
                b.D = (Half)0f;
            }

            for (int j = 0; j < Qk / 16; ++j)
            {
                int sc = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
                sc = (sbyte)((sc | (((packed[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32);
                float d = (float)b.D * sc;
                if (d == 0)
                {
                    continue;
                }

                for (int ii = 0; ii < 16; ++ii)
                {
                    int l = QuantMath.NearestInt(x[16 * j + ii] / d);
                    l = Math.Max(-4, Math.Min(3, l));
                    levels[16 * j + ii] = (sbyte)(l + 4);
                }
            }

            Span<byte> hmask = b.HMask;
            hmask.Clear();
            int m = 0;
            int hm = 1;
            for (int j = 0; j < Qk; ++j)
            {
                if (levels[j] > 3)
                {
                    hmask[m] |= (byte)hm;
                    levels[j] -= 4;
                }

                if (++m == Qk / 8)
                {
                    m = 0;
                    hm <<= 1;
                }
            }

            for (int j = 0; j < Qk; j += 128)
            {
                for (int l = 0; l < 32; ++l)
                {
                    b.Qs[j / 4 + l] = (byte)((byte)levels[j + l] | ((byte)levels[j + l + 32] << 2) | ((byte)levels[j + l + 64] << 4) | ((byte)levels[j + l + 96] << 6));
                }
            }
        }
    }

    /// <summary>Q3_K · Q8_K over <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) =>
        DotScalar(weights, activations, count);

    /// <summary>Mirrors <c>ggml_vec_dot_q3_K_q8_K_generic</c> (8 lane accumulators, as written there).</summary>
    internal static float DotScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = QuantMath.BlockCount(count, Qk);
        QuantMath.RequireBytes(weights.Length, (long)nb * BlockQ3K.ByteCount, nameof(weights));
        QuantMath.RequireBytes(activations.Length, (long)nb * BlockQ8K.ByteCount, nameof(activations));
        ReadOnlySpan<BlockQ3K> x = MemoryMarshal.Cast<byte, BlockQ3K>(weights);
        ReadOnlySpan<BlockQ8K> y = MemoryMarshal.Cast<byte, BlockQ8K>(activations);
        Span<sbyte> aux8 = stackalloc sbyte[Qk];
        Span<float> sums = stackalloc float[8];
        Span<int> aux32 = stackalloc int[8];
        Span<uint> auxs = stackalloc uint[4];
        ReadOnlySpan<sbyte> scales = MemoryMarshal.Cast<uint, sbyte>(auxs);
        sums.Clear();
        for (int i = 0; i < nb; ++i)
        {
            ref readonly BlockQ3K bx = ref x[i];
            ref readonly BlockQ8K by = ref y[i];
            aux32.Clear();
            int a = 0;
            int m = 1;
            for (int j = 0; j < Qk; j += 128)
            {
                int q3 = j / 4;
                for (int shift = 0; shift < 8; shift += 2)
                {
                    for (int l = 0; l < 32; ++l)
                    {
                        aux8[a + l] = (sbyte)(((bx.Qs[q3 + l] >> shift) & 3) - ((bx.HMask[l] & m) != 0 ? 0 : 4));
                    }

                    a += 32;
                    m <<= 1;
                }
            }

            UnpackScales(bx.Scales, auxs);
            a = 0;
            int q8 = 0;
            for (int j = 0; j < Qk / 16; ++j)
            {
                int scale = scales[j] - 32;
                for (int half = 0; half < 2; ++half)
                {
                    for (int l = 0; l < 8; ++l)
                    {
                        aux32[l] += scale * (short)(by.Qs[q8 + l] * aux8[a + l]);
                    }

                    q8 += 8;
                    a += 8;
                }
            }

            float d = (float)bx.D * by.D;
            for (int l = 0; l < 8; ++l) sums[l] += d * aux32[l];
        }

        float sumf = 0;
        for (int l = 0; l < 8; ++l) sumf += sums[l];
        return sumf;
    }
}
