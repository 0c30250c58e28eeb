using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wafer.Kernels.Ops;

/// <summary>Element-wise activations and residual arithmetic.</summary>
public static class Activations
{
    /// <summary>gate[i] ← silu(gate[i]) * up[i] (SwiGLU), with silu(x) = x / (1 + e^-x) as ggml computes it, 8 lanes at a time
    /// (<see cref="VectorExp"/>); <see cref="SwiGluScalar"/> is the twin.</summary>
    public static void SwiGlu(Span<float> gate, ReadOnlySpan<float> up)
    {
        if (up.Length < gate.Length) throw new ArgumentException("up is shorter than gate", nameof(up));
        int i = 0;
        if (Fma.IsSupported)
        {
            ref float g = ref MemoryMarshal.GetReference(gate);
            ref float u = ref MemoryMarshal.GetReference(up);
            var one = Vector256.Create(1f);
            for (; i + 8 <= gate.Length; i += 8)
            {
                Vector256<float> x = Vector256.LoadUnsafe(ref g, (nuint)i);
                (x / (one + VectorExp.Exp(-x)) * Vector256.LoadUnsafe(ref u, (nuint)i)).StoreUnsafe(ref g, (nuint)i);
            }
        }
        SwiGluScalar(gate[i..], up[i..]);
    }

    /// <summary>The scalar twin of <see cref="SwiGlu"/>.</summary>
    public static void SwiGluScalar(Span<float> gate, ReadOnlySpan<float> up)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            float x = gate[i];
            gate[i] = x / (1.0f + VectorExp.ExpScalar(-x)) * up[i];
        }
    }

    /// <summary>ggml's GELU of F32 values (GGML_GELU_FP16, as its CPU backend is built): x ≤ −10 gives 0, x ≥ 10 gives x, and in
    /// between the tanh form 0.5·h·(1 + tanh(√(2/π)·h·(1 + 0.044715·h²))) of the half-precision input h, rounded to half.</summary>
    public static float Gelu(float x)
    {
        if (x <= -10.0f) return 0.0f;
        if (x >= 10.0f) return x;
        return (float)GeluTable.Values[BitConverter.HalfToUInt16Bits((Half)x)];
    }

    /// <summary>gate[i] ← <see cref="Gelu"/>(gate[i]) · up[i] (GeGLU, ggml_geglu_split).</summary>
    public static void GeGlu(Span<float> gate, ReadOnlySpan<float> up)
    {
        if (up.Length < gate.Length) throw new ArgumentException("up is shorter than gate", nameof(up));
        for (int i = 0; i < gate.Length; i++) gate[i] = Gelu(gate[i]) * up[i];
    }

    /// <summary>The tanh-form GELU in F32 (ggml_gelu_f32), which ggml tabulates for every half-precision input.</summary>
    public static float GeluTanh(float x)
    {
        const float sqrtTwoOverPi = 0.79788456080286535587989211986876f, a = 0.044715f;
        return 0.5f * x * (1.0f + MathF.Tanh(sqrtTwoOverPi * x * (1.0f + a * x * x)));
    }

    /// <summary>ggml_table_gelu_f16: <see cref="GeluTanh"/> of every half value, rounded to half.</summary>
    private static class GeluTable
    {
        public static readonly Half[] Values = Build();

        private static Half[] Build()
        {
            var table = new Half[1 << 16];
            for (int bits = 0; bits < table.Length; bits++)
                table[bits] = (Half)GeluTanh((float)BitConverter.UInt16BitsToHalf((ushort)bits));
            return table;
        }
    }

    /// <summary>values[i] ← cap·tanh(values[i]·(1/cap)), as ggml's scale, tanh, scale (gemma's soft-capping of scores and logits).</summary>
    public static void SoftCap(Span<float> values, float cap)
    {
        float inverse = 1.0f / cap;
        for (int i = 0; i < values.Length; i++) values[i] = MathF.Tanh(values[i] * inverse) * cap;
    }

    /// <summary>destination[i] += source[i].</summary>
    public static void Add(ReadOnlySpan<float> source, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] += source[i];
    }
}
