namespace Wafer.Kernels.Parallelism;

/// <summary>Work the <see cref="WorkerPool"/> splits into ranges: one call per range of independent items.</summary>
/// <remarks>Implementations are reused objects (one per call site), so handing work to the pool allocates nothing.</remarks>
public interface IRangeWork
{
    /// <summary>Processes items [<paramref name="start"/>, <paramref name="end"/>).</summary>
    void Run(int start, int end);
}
