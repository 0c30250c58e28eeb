using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Quantization;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Ops;

/// <summary>The KV cache's row formats: F32 rows written and read as they are; F16 rows (round to nearest even, as
/// GGML_FP32_TO_FP16) and Q8_0 rows (blocks of 32 with an F16 scale, quantized as ggml's CPU <c>quantize_row_q8_0</c>
/// quantizes the rows llama.cpp copies into a Q8_0 cache) widened back to F32 with AVX-512F or AVX2 (F16) and Vector256 (Q8_0) where the hardware has them, else by the scalar twins.
/// Each SIMD path has a scalar twin (<see cref="HalfToSingleScalar"/>, <see cref="Q8_0ToSingleScalar"/>) the tests compare it with.</summary>
public static class KvRowCodec
{
    /// <summary>F16 → F32 for every F16 value, ±Inf and NaN included (the same bits <c>(float)Half</c> gives).</summary>
    public static void HalfToSingle(ReadOnlySpan<ushort> source, Span<float> destination) => HalfToSingle(source, destination, WideHalves);

    /// <summary><paramref name="rows"/> rows of F16 values <paramref name="sourceStride"/> apart in <paramref name="source"/> →
    /// <paramref name="rows"/> consecutive rows of destination.Length / rows floats (a run of a KV head's cached rows).</summary>
    public static void HalfRowsToSingle(ReadOnlySpan<ushort> source, int sourceStride, int rows, Span<float> destination)
    {
        int width = destination.Length / rows;
        if (rows <= 0 || destination.Length % rows != 0 || source.Length < (rows - 1) * sourceStride + width)
            throw new ArgumentException($"{source.Length} F16 values for {rows} rows of {width} at a stride of {sourceStride}", nameof(source));
        HalfRowsToSingle(source, sourceStride, rows, destination, WideHalves);
    }

    /// <summary><see cref="HalfRowsToSingle(ReadOnlySpan{ushort}, int, int, Span{float})"/> with the 512-bit loop on or off: one
    /// loop over the rows, no call per row (a KV head's row is 4–16 vectors) unless a row's width leaves a scalar tail.</summary>
    internal static void HalfRowsToSingle(ReadOnlySpan<ushort> source, int sourceStride, int rows, Span<float> destination, bool wide)
    {
        int width = destination.Length / rows;
        ref ushort s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        for (int r = 0; r < rows; r++)
        {
            int done = WidenVectors(ref Unsafe.Add(ref s, r * sourceStride), ref Unsafe.Add(ref d, r * width), width, wide);
            if (done < width) HalfToSingleScalar(source.Slice(r * sourceStride + done, width - done), destination.Slice(r * width + done, width - done));
        }
    }

    /// <summary>Whether <see cref="HalfToSingle(ReadOnlySpan{ushort}, Span{float})"/> widens 16 values at a time (AVX-512F,
    /// 512-bit vectors accelerated) before the 8-at-a-time AVX2 loop.</summary>
    internal static bool WideHalves { get; } = Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary><see cref="HalfToSingle(ReadOnlySpan{ushort}, Span{float})"/> with the 512-bit loop on or off (the tests run both).</summary>
    internal static void HalfToSingle(ReadOnlySpan<ushort> source, Span<float> destination, bool wide)
    {
        int n = destination.Length;
        if (source.Length < n) throw new ArgumentException($"{source.Length} F16 values for {n} floats", nameof(source));
        int i = WidenVectors(ref MemoryMarshal.GetReference(source), ref MemoryMarshal.GetReference(destination), n, wide);
        HalfToSingleScalar(source[i..n], destination[i..]);
    }

    // Widens the first values of n, 16 at a time (wide, AVX-512F) and then 8 (AVX2); returns how many, the rest being the scalar twin's.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WidenVectors(ref ushort s, ref float d, int n, bool wide)
    {
        int i = 0;
        if (wide && Avx512F.IsSupported)
            for (; i + 16 <= n; i += 16)
                Widen(Avx512F.ConvertToVector512Int32(Vector256.LoadUnsafe(ref s, (nuint)i))).StoreUnsafe(ref d, (nuint)i);
        if (Avx2.IsSupported)
            for (; i + 8 <= n; i += 8)
                Widen(Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref s, (nuint)i))).StoreUnsafe(ref d, (nuint)i);
        return i;
    }

    // Giesen's half_to_float_fast on zero-extended halves (vpmovzxwd), in integer arithmetic where it can be: |h| << 13 puts the
    // exponent and mantissa where F32 keeps them and + (127 − 15) << 23 rebiases the exponent; Inf/NaN get the rest of the
    // exponent, and zeros and subnormals are renormalised by subtracting 2^-14 from a normal number, so no instruction ever sees a
    // subnormal float (their operands cost a hundred cycles and more: a quarter of a KV row's values can be that small).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen(Vector256<int> w)
    {
        var shiftedExponent = Vector256.Create(0x7c00 << 13);
        var o = (w & Vector256.Create(0x7fff)) << 13;
        var exponent = o & shiftedExponent;
        o += Vector256.Create((127 - 15) << 23);
        o += Vector256.Equals(exponent, shiftedExponent) & Vector256.Create((128 - 16) << 23);
        var renormalised = ((o + Vector256.Create(1 << 23)).AsSingle() - Vector256.Create(113 << 23).AsSingle()).AsInt32();
        o = Vector256.ConditionalSelect(Vector256.Equals(exponent, Vector256<int>.Zero), renormalised, o);
        return (o | ((w & Vector256.Create(0x8000)) << 16)).AsSingle();
    }

    /// <summary><see cref="Widen(Vector256{int})"/>, 16 values, written so that the JIT emits masked adds and a ternary
    /// logic op where the 256-bit form needs a mask, an and and an add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(Vector512<int> w)
    {
        var shiftedExponent = Vector512.Create(0x7c00 << 13);
        var o = (w & Vector512.Create(0x7fff)) << 13;
        var exponent = o & shiftedExponent;
        o += Vector512.Create((127 - 15) << 23);
        o = Vector512.ConditionalSelect(Vector512.Equals(exponent, shiftedExponent), o + Vector512.Create((128 - 16) << 23), o);
        var renormalised = ((o + Vector512.Create(1 << 23)).AsSingle() - Vector512.Create(113 << 23).AsSingle()).AsInt32();
        o = Vector512.ConditionalSelect(Vector512.Equals(exponent, Vector512<int>.Zero), renormalised, o);
        return Vector512.ConditionalSelect(Vector512.Create(int.MinValue), w << 16, o).AsSingle();
    }

    /// <summary>The scalar twin of <see cref="HalfToSingle"/>.</summary>
    public static void HalfToSingleScalar(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = (float)BitConverter.UInt16BitsToHalf(source[i]);
    }

    /// <summary>F32 → F16, nearest even.</summary>
    public static void SingleToHalf(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = BitConverter.HalfToUInt16Bits((Half)source[i]);
    }

    /// <summary>Q8_0 blocks → F32: <paramref name="destination"/>.Length / 32 blocks, each q·d.</summary>
    public static void Q8_0ToSingle(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int blocks = destination.Length / BlockQ8_0.ElementCount;
        if (destination.Length % BlockQ8_0.ElementCount != 0 || source.Length < blocks * BlockQ8_0.ByteCount)
            throw new ArgumentException($"{source.Length} bytes of Q8_0 blocks for {destination.Length} floats", nameof(source));
        if (!Vector256.IsHardwareAccelerated)
        {
            Q8_0ToSingleScalar(source, destination);
            return;
        }
        ref byte s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        for (int b = 0; b < blocks; b++)
        {
            ref byte block = ref Unsafe.Add(ref s, b * BlockQ8_0.ByteCount);
            var scale = Vector256.Create((float)Unsafe.ReadUnaligned<Half>(ref block));
            var q = Vector256.LoadUnsafe(ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref block, 2)));
            var (low, high) = Vector256.Widen(q);
            var (q0, q1) = Vector256.Widen(low);
            var (q2, q3) = Vector256.Widen(high);
            nuint at = (nuint)(b * BlockQ8_0.ElementCount);
            (Vector256.ConvertToSingle(q0) * scale).StoreUnsafe(ref d, at);
            (Vector256.ConvertToSingle(q1) * scale).StoreUnsafe(ref d, at + 8);
            (Vector256.ConvertToSingle(q2) * scale).StoreUnsafe(ref d, at + 16);
            (Vector256.ConvertToSingle(q3) * scale).StoreUnsafe(ref d, at + 24);
        }
    }

    /// <summary>The scalar twin of <see cref="Q8_0ToSingle"/> (ggml's <c>dequantize_row_q8_0</c>).</summary>
    public static void Q8_0ToSingleScalar(ReadOnlySpan<byte> source, Span<float> destination) => Q8_0Kernels.Dequantize(source, destination);

    /// <summary>F32 → Q8_0 blocks as ggml's CPU backend quantizes a row copied into a Q8_0 tensor (round half to even).</summary>
    public static void SingleToQ8_0(ReadOnlySpan<float> source, Span<byte> destination) => Q8_0Kernels.QuantizeActivation(source, destination);
}
