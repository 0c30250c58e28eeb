using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Quantization;
using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Ops;

/// <summary>The KV cache's row formats: F32 rows written and read as they are; F16 rows (round to nearest even, as
/// GGML_FP32_TO_FP16) and Q8_0 rows (blocks of 32 with an F16 scale, quantized as ggml's CPU <c>quantize_row_q8_0</c>
/// quantizes the rows llama.cpp copies into a Q8_0 cache) widened back to F32 with AVX2 (F16) and Vector256 (Q8_0) where the hardware has them, else by the scalar twins.
/// Each SIMD path has a scalar twin (<see cref="HalfToSingleScalar"/>, <see cref="Q8_0ToSingleScalar"/>) the tests compare it with.</summary>
public static class KvRowCodec
{
    /// <summary>F16 → F32 for every F16 value, ±Inf and NaN included (the same bits <c>(float)Half</c> gives).</summary>
    public static void HalfToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        int n = destination.Length, i = 0;
        if (source.Length < n) throw new ArgumentException($"{source.Length} F16 values for {n} floats", nameof(source));
        if (Avx2.IsSupported)
        {
            ref ushort s = ref MemoryMarshal.GetReference(source);
            ref float d = ref MemoryMarshal.GetReference(destination);
            // Giesen's half_to_float_fast, eight at a time, in integer arithmetic where it can be: |h| << 13 puts the exponent and
            // mantissa where F32 keeps them and + (127 − 15) << 23 rebiases the exponent; Inf/NaN get the rest of the exponent,
            // and zeros and subnormals are renormalised by subtracting 2^-14 from a normal number, so no instruction ever sees a
            // subnormal float (their operands cost a hundred cycles and more: a quarter of a KV row's values can be that small).
            var shiftedExponent = Vector256.Create(0x7c00 << 13);
            var magnitudeMask = Vector256.Create(0x7fff);
            var rebias = Vector256.Create((127 - 15) << 23);
            var specialRebias = Vector256.Create((128 - 16) << 23);
            var one = Vector256.Create(1 << 23);
            var magic = Vector256.Create(113 << 23).AsSingle();
            var signMask = Vector256.Create(0x8000);
            for (; i + 8 <= n; i += 8)
            {
                var w = Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref s, (nuint)i)); // zero-extends (vpmovzxwd)
                var o = Avx2.ShiftLeftLogical(Avx2.And(w, magnitudeMask), 13);
                var exponent = Avx2.And(o, shiftedExponent);
                o = Avx2.Add(o, rebias);
                o = Avx2.Add(o, Avx2.And(Avx2.CompareEqual(exponent, shiftedExponent), specialRebias));
                var small = Avx2.CompareEqual(exponent, Vector256<int>.Zero);
                var renormalised = Avx.Subtract(Avx2.Add(o, one).AsSingle(), magic).AsInt32();
                o = Avx2.BlendVariable(o, renormalised, small);
                Avx2.Or(o, Avx2.ShiftLeftLogical(Avx2.And(w, signMask), 16)).AsSingle().StoreUnsafe(ref d, (nuint)i);
            }
        }
        HalfToSingleScalar(source[i..n], destination[i..]);
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
