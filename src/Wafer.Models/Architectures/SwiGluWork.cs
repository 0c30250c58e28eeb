using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;

namespace Wafer.Models.Architectures;

/// <summary>SwiGLU (or GeGLU) over a batch, split over the worker pool (one exp per element makes it worth spreading for prompt batches).</summary>
internal sealed class SwiGluWork(FeedForwardActivation activation = FeedForwardActivation.SwiGlu) : IRangeWork
{
    private float[] _gate = [];  // [n, ff], becomes silu(gate)·up
    private float[] _up = [];    // [n, ff]

    /// <summary>Points the next <see cref="Run"/> calls at one layer's buffers.</summary>
    public void Bind(float[] gate, float[] up)
    {
        _gate = gate;
        _up = up;
    }

    /// <summary>Elements [start, end).</summary>
    public void Run(int start, int end)
    {
        if (activation == FeedForwardActivation.GeGlu) Activations.GeGlu(_gate.AsSpan(start, end - start), _up.AsSpan(start, end - start));
        else Activations.SwiGlu(_gate.AsSpan(start, end - start), _up.AsSpan(start, end - start));
    }
}
