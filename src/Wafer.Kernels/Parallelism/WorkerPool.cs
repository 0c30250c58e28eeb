namespace Wafer.Kernels.Parallelism;

/// <summary>Splits a range of independent work items (matrix rows, heads) over a fixed number of threads.</summary>
/// <remarks>The calling thread takes part. A later version replaces the Parallel.For underneath with
/// spinning workers; callers only see <see cref="For"/>.</remarks>
public sealed class WorkerPool
{
    private readonly ParallelOptions _options;

    /// <summary>Creates a pool that uses <paramref name="threadCount"/> threads (0 = one per physical core).</summary>
    public WorkerPool(int threadCount = 0)
    {
        ThreadCount = threadCount > 0 ? threadCount : DefaultThreadCount;
        _options = new ParallelOptions { MaxDegreeOfParallelism = ThreadCount };
    }

    /// <summary>The default thread count: the processor count (this machine exposes physical cores only).</summary>
    public static int DefaultThreadCount => Math.Max(1, Environment.ProcessorCount);

    /// <summary>Threads used by <see cref="For"/>.</summary>
    public int ThreadCount { get; }

    /// <summary>Runs <paramref name="body"/>(start, end) over [0, count) in at most <see cref="ThreadCount"/> contiguous chunks of at least <paramref name="minChunk"/> items.</summary>
    public void For(int count, int minChunk, Action<int, int> body)
    {
        int chunks = Math.Clamp(count / Math.Max(1, minChunk), 1, ThreadCount);
        if (chunks == 1)
        {
            body(0, count);
            return;
        }
        Parallel.For(0, chunks, _options, c =>
        {
            int start = (int)((long)count * c / chunks);
            int end = (int)((long)count * (c + 1) / chunks);
            body(start, end);
        });
    }
}
