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

    /// <summary>destination[i] += source[i].</summary>
    public static void Add(ReadOnlySpan<float> source, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] += source[i];
    }
}
