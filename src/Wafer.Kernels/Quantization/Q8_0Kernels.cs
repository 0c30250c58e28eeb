using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>Q8_0: 32 signed 8-bit quants with one F16 scale (x = d·q); also the activation type of Q4_0, Q5_0, Q8_0 and IQ4_NL.</summary>
public static class Q8_0Kernels
{
    private const int Qk = BlockQ8_0.ElementCount;

    /// <summary>Mirrors <c>dequantize_row_q8_0</c>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int nb = QuantMath.BlockCount(destination.Length, Qk);
        QuantMath.RequireBytes(source.Length, (long)nb * BlockQ8_0.ByteCount, nameof(source));
        ReadOnlySpan<BlockQ8_0> x = MemoryMarshal.Cast<byte, BlockQ8_0>(source);
        for (int i = 0; i < nb; i++)
        {
            ref readonly BlockQ8_0 b = ref x[i];
            float d = (float)b.D;
            Span<float> y = destination.Slice(i * Qk, Qk);
            for (int j = 0; j < Qk; ++j)
            {
                y[j] = b.Qs[j] * d;
            }
        }
    }

    /// <summary>Mirrors <c>quantize_row_q8_0_ref</c> (what llama-quantize writes): d = amax/127, q = roundf(x/d).</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockQ8_0.ByteCount, nameof(destination));
        Span<BlockQ8_0> y = MemoryMarshal.Cast<byte, BlockQ8_0>(destination);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = source.Slice(i * Qk, Qk);
            float amax = QuantMath.AbsMax(x);

            float d = amax / ((1 << 7) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref BlockQ8_0 b = ref y[i];
            b.D = (Half)d;
            for (int j = 0; j < Qk; ++j)
            {
                b.Qs[j] = (sbyte)QuantMath.RoundAwayFromZero(x[j] * id);
            }
        }
    }

    /// <summary>
    /// Mirrors the AVX2 <c>quantize_row_q8_0</c> of ggml's x86 CPU backend, which llama.cpp uses for activations:
    /// d = amax/127, id = 127/amax, q = round-half-even(x·id).
    /// </summary>
    public static void QuantizeActivation(ReadOnlySpan<float> source, Span<byte> destination)
    {
        if (Avx2.IsSupported) QuantizeActivationAvx2(source, destination);
        else QuantizeActivationScalar(source, destination);
    }

    /// <summary>The AVX2 twin of <see cref="QuantizeActivationScalar"/>, byte for byte: the max is exact in any order, and
    /// vcvtps2dq rounds half to even as <see cref="MathF.Round(float)"/> does; saturating packs equal the clamp.</summary>
    internal static unsafe void QuantizeActivationAvx2(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockQ8_0.ByteCount, nameof(destination));
        var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        fixed (float* x = source)
        fixed (byte* y = destination)
        {
            for (int i = 0; i < nb; i++)
            {
                float* p = x + i * Qk;
                byte* block = y + i * BlockQ8_0.ByteCount;
                Vector256<float> v0 = Vector256.Load(p), v1 = Vector256.Load(p + 8), v2 = Vector256.Load(p + 16), v3 = Vector256.Load(p + 24);
                Vector256<float> m = Avx.Max(Avx.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Avx.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
                Vector128<float> h = Sse.Max(m.GetLower(), m.GetUpper());
                h = Sse.Max(h, Sse.MoveHighToLow(h, h));
                h = Sse.MaxScalar(h, Sse.Shuffle(h, h, 0x55));
                float amax = h.ToScalar();
                float d = amax / 127.0f;
                float id = amax != 0.0f ? 127.0f / amax : 0.0f;
                *(Half*)block = (Half)d;
                var mul = Vector256.Create(id);
                Vector256<short> p01 = Avx2.PackSignedSaturate(Avx.ConvertToVector256Int32(v0 * mul), Avx.ConvertToVector256Int32(v1 * mul));
                Vector256<short> p23 = Avx2.PackSignedSaturate(Avx.ConvertToVector256Int32(v2 * mul), Avx.ConvertToVector256Int32(v3 * mul));
                Avx2.PermuteVar8x32(Avx2.PackSignedSaturate(p01, p23).AsInt32(), order).AsByte().Store(block + 2);
            }
        }
    }

    /// <summary>The scalar reference for <see cref="QuantizeActivation"/>.</summary>
    internal static void QuantizeActivationScalar(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * BlockQ8_0.ByteCount, nameof(destination));
        Span<BlockQ8_0> y = MemoryMarshal.Cast<byte, BlockQ8_0>(destination);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = source.Slice(i * Qk, Qk);
            float amax = QuantMath.AbsMax(x);

            float d = amax / 127.0f;
            float id = amax != 0.0f ? 127.0f / amax : 0.0f;
            ref BlockQ8_0 b = ref y[i];
            b.D = (Half)d;
            for (int j = 0; j < Qk; ++j)
            {
                b.Qs[j] = (sbyte)Math.Clamp((int)MathF.Round(x[j] * id), -128, 127);
            }
        }
    }

    /// <summary>Q8_0 · Q8_0 over <paramref name="count"/> elements.</summary>
    public static float Dot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count) =>
        SimdOps.Avx2Fma ? DotAvx2(weights, activations, count, useVnni: true) : DotScalar(weights, activations, count);

    /// <summary>Mirrors <c>ggml_vec_dot_q8_0_q8_0_generic</c>.</summary>
    internal static float DotScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = CheckedBlocks(weights, activations, count);
        ReadOnlySpan<BlockQ8_0> x = MemoryMarshal.Cast<byte, BlockQ8_0>(weights);
        ReadOnlySpan<BlockQ8_0> y = MemoryMarshal.Cast<byte, BlockQ8_0>(activations);
        float sumf = 0;
        for (int ib = 0; ib < nb; ++ib)
        {
            ref readonly BlockQ8_0 bx = ref x[ib];
            ref readonly BlockQ8_0 by = ref y[ib];
            int sumi = 0;
            for (int j = 0; j < Qk; j++)
            {
                sumi += bx.Qs[j] * by.Qs[j];
            }

            sumf += sumi * ((float)bx.D * (float)by.D);
        }

        return sumf;
    }

    /// <summary>Mirrors the AVX2 branch of <c>ggml_vec_dot_q8_0_q8_0</c> (AVX-VNNI for the byte products when asked and present).</summary>
    internal static float DotAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count, bool useVnni)
    {
        int nb = CheckedBlocks(weights, activations, count);
        ReadOnlySpan<BlockQ8_0> x = MemoryMarshal.Cast<byte, BlockQ8_0>(weights);
        ReadOnlySpan<BlockQ8_0> y = MemoryMarshal.Cast<byte, BlockQ8_0>(activations);
        Vector256<float> acc = Vector256<float>.Zero;
        for (int ib = 0; ib < nb; ++ib)
        {
            ref readonly BlockQ8_0 bx = ref x[ib];
            ref readonly BlockQ8_0 by = ref y[ib];
            Vector256<float> d = Vector256.Create((float)bx.D * (float)by.D);
            Vector256<sbyte> qx = Vector256.Create((ReadOnlySpan<sbyte>)bx.Qs);
            Vector256<sbyte> qy = Vector256.Create((ReadOnlySpan<sbyte>)by.Qs);
            acc = Fma.MultiplyAdd(d, SimdOps.MulSumI8PairsFloat(qx, qy, useVnni), acc);
        }

        return SimdOps.HorizontalSum(acc);
    }

    internal static int CheckedBlocks(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int count)
    {
        int nb = QuantMath.BlockCount(count, Qk);
        QuantMath.RequireBytes(weights.Length, (long)nb * BlockQ8_0.ByteCount, nameof(weights));
        QuantMath.RequireBytes(activations.Length, (long)nb * BlockQ8_0.ByteCount, nameof(activations));
        return nb;
    }
}
