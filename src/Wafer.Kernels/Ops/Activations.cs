namespace Wafer.Kernels.Ops;

/// <summary>Element-wise activations and residual arithmetic.</summary>
public static class Activations
{
    /// <summary>gate[i] ← silu(gate[i]) * up[i] (SwiGLU), with silu(x) = x / (1 + e^-x) as ggml computes it.</summary>
    public static void SwiGlu(Span<float> gate, ReadOnlySpan<float> up)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            float x = gate[i];
            gate[i] = x / (1.0f + MathF.Exp(-x)) * up[i];
        }
    }

    /// <summary>destination[i] += source[i].</summary>
    public static void Add(ReadOnlySpan<float> source, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] += source[i];
    }
}
