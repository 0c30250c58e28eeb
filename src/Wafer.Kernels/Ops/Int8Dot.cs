using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wafer.Kernels.Ops;

/// <summary>Exact integer dot products of signed 8-bit vectors whose values lie in [−127, 127] (scalar-quantized embeddings),
/// with a scalar twin.</summary>
/// <remarks>AVX2 has no signed × signed byte multiply, so it multiplies |x| by y with x's sign (llama.cpp's sign trick):
/// vpmaddubsw's 16-bit pair sums stay within ±2·127² &lt; 32767, so every step is exact and the result equals the scalar one.
/// −128 must not occur (|−128| does not fit a signed byte).</remarks>
public static class Int8Dot
{
    /// <summary>Σ x[i]·y[i] over x's length (y at least as long).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Dot(ReadOnlySpan<sbyte> x, ReadOnlySpan<sbyte> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("y is shorter than x", nameof(y));
        int n = x.Length, i = 0, sum = 0;
        if (Avx2.IsSupported && n >= 32)
        {
            ref sbyte px = ref MemoryMarshal.GetReference(x);
            ref sbyte py = ref MemoryMarshal.GetReference(y);
            Vector256<int> a = Vector256<int>.Zero, b = a;
            var ones = Vector256.Create((short)1);
            for (; i + 64 <= n; i += 64)
            {
                a += Step(Vector256.LoadUnsafe(ref px, (nuint)i), Vector256.LoadUnsafe(ref py, (nuint)i), ones);
                b += Step(Vector256.LoadUnsafe(ref px, (nuint)i + 32), Vector256.LoadUnsafe(ref py, (nuint)i + 32), ones);
            }
            for (; i + 32 <= n; i += 32) a += Step(Vector256.LoadUnsafe(ref px, (nuint)i), Vector256.LoadUnsafe(ref py, (nuint)i), ones);
            sum = Vector256.Sum(a + b);
        }
        for (; i < n; i++) sum += x[i] * y[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Step(Vector256<sbyte> x, Vector256<sbyte> y, Vector256<short> ones) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(x), Avx2.Sign(y, x)), ones);

    /// <summary>The scalar twin of <see cref="Dot"/>.</summary>
    public static int DotScalar(ReadOnlySpan<sbyte> x, ReadOnlySpan<sbyte> y)
    {
        int sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }
}
