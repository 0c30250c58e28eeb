using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wafer.Kernels.Quantization;

/// <summary>AVX2 building blocks shared by the SIMD dot products (ports of the helpers in ggml-cpu/arch/x86/quants.c).</summary>
internal static class SimdOps
{
    /// <summary>True where the AVX2 + FMA dot products may run.</summary>
    public static bool Avx2Fma => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Mirrors <c>hsum_float_8</c>: (lo + hi), then pairwise, then the last two lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HorizontalSum(Vector256<float> x)
    {
        Vector128<float> r = x.GetLower() + x.GetUpper();
        r += Sse.MoveHighToLow(r, r);
        r = Sse.AddScalar(r, Sse3.MoveHighAndDuplicate(r));
        return r.ToScalar();
    }

    /// <summary>Mirrors <c>hsum_i32_8</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int HorizontalSum(Vector256<int> x) => Vector256.Sum(x);

    /// <summary>Mirrors <c>mul_sum_i8_pairs_float</c>: x·y per 4 bytes as 8 int32 sums, converted to F32; operands must avoid −128.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulSumI8PairsFloat(Vector256<sbyte> x, Vector256<sbyte> y, bool useVnni)
    {
        Vector256<byte> ax = Avx2.Sign(x, x).AsByte();
        Vector256<sbyte> sy = Avx2.Sign(y, x);
        return MulSumUs8PairsFloat(ax, sy, useVnni);
    }

    /// <summary>Mirrors <c>mul_sum_us8_pairs_float</c>: unsigned × signed bytes, 4 at a time, into 8 int32 sums as F32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulSumUs8PairsFloat(Vector256<byte> ax, Vector256<sbyte> sy, bool useVnni)
    {
        Vector256<int> sums;
        if (useVnni && AvxVnni.IsSupported)
        {
            sums = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, ax, sy);
        }
        else
        {
            Vector256<short> dot = Avx2.MultiplyAddAdjacent(ax, sy);
            sums = Avx2.MultiplyAddAdjacent(dot, Vector256.Create((short)1));
        }

        return Avx.ConvertToVector256Single(sums);
    }

    /// <summary>Mirrors <c>bytes_from_nibbles_32</c>: 16 packed bytes → 32 bytes, low nibbles first, then high nibbles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> BytesFromNibbles(ref byte source)
    {
        Vector128<byte> packed = Vector128.LoadUnsafe(ref source);
        Vector128<byte> mask = Vector128.Create((byte)0x0F);
        Vector128<byte> low = packed & mask;
        Vector128<byte> high = Vector128.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & mask;
        return Vector256.Create(low, high);
    }

    /// <summary>Exact F16 → F32 for 8 values (normals, subnormals, infinities and NaNs), without F16C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HalfToSingle(Vector128<ushort> halves)
    {
        Vector256<uint> h = Vector256.Create(Vector128.WidenLower(halves), Vector128.WidenUpper(halves));
        Vector256<uint> sign = (h & Vector256.Create(0x8000u)) << 16;
        Vector256<uint> magnitude = h & Vector256.Create(0x7fffu);
        Vector256<uint> shifted = magnitude << 13;
        // Scaling by 2^112 rebiases the exponent (15 → 127) and normalizes subnormals exactly.
        Vector256<float> finite = shifted.AsSingle() * Vector256.Create(5.192296858534828e33f);
        Vector256<float> special = (shifted | Vector256.Create(0x7f800000u)).AsSingle();
        Vector256<float> isSpecial = Vector256.GreaterThanOrEqual(magnitude, Vector256.Create(0x7c00u)).AsSingle();
        return Vector256.ConditionalSelect(isSpecial, special, finite) | sign.AsSingle();
    }

    /// <summary><see cref="HalfToSingle(Vector128{ushort})"/> for 16 values in 512 bits (AVX-512F; the 512-bit prompt tiles' row scales).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> HalfToSingle(Vector256<ushort> halves)
    {
        Vector512<uint> h = Avx512F.ConvertToVector512UInt32(halves);
        Vector512<uint> sign = (h & Vector512.Create(0x8000u)) << 16;
        Vector512<uint> magnitude = h & Vector512.Create(0x7fffu);
        Vector512<uint> shifted = magnitude << 13;
        Vector512<float> finite = shifted.AsSingle() * Vector512.Create(5.192296858534828e33f);
        Vector512<float> special = (shifted | Vector512.Create(0x7f800000u)).AsSingle();
        Vector512<float> isSpecial = Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(0x7c00u)).AsSingle();
        return Vector512.ConditionalSelect(isSpecial, special, finite) | sign.AsSingle();
    }

    /// <summary>Exact BF16 → F32 for 8 values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> BF16ToSingle(Vector128<ushort> values) =>
        (Vector256.Create(Vector128.WidenLower(values), Vector128.WidenUpper(values)) << 16).AsSingle();
}
