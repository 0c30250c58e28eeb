using System.Diagnostics;

namespace Wafer.Kernels.Parallelism;

/// <summary>Splits a range of independent work items (matrix rows, heads) over a fixed set of threads that spin between jobs.</summary>
/// <remarks>
/// The calling thread takes part, so a pool of T threads starts T − 1 workers (background threads, on first use).
/// Between jobs a worker spins for <see cref="SpinMicroseconds"/> before it blocks, so the hundreds of small jobs
/// of one forward pass (one per matrix product) pay a cache-line handoff, not the OS scheduler.
/// A job is cut into chunks that participants claim with an atomic counter, so a thread slowed by another
/// process on its core does not hold the others back. Only one thread may call <see cref="For(int, int, IRangeWork)"/> at a time.
/// </remarks>
public sealed class WorkerPool : IDisposable
{
    /// <summary>How long an idle worker spins before it sleeps (µs).</summary>
    public const int SpinMicroseconds = 2000;

    private readonly object _gate = new();
    private Thread[]? _workers;
    private volatile bool _disposed;
    // generation (32 bits) | chunk count (16 bits) | next chunk to claim (16 bits); a claim is a CAS on the
    // whole word, so a worker that wakes late for a finished job can never claim a chunk of the next one.
    private long _ticket;
    private int _sleepers;          // workers blocked on _gate
    private IRangeWork? _work;      // stable while any chunk of the current generation is pending
    private int _count;
    private int _pendingChunks;     // chunks of the current job not yet finished
    private readonly DelegateWork _delegateWork = new();

    /// <summary>Creates a pool that uses <paramref name="threadCount"/> threads (0 = one per physical core).</summary>
    public WorkerPool(int threadCount = 0)
    {
        ThreadCount = threadCount > 0 ? threadCount : DefaultThreadCount;
    }

    /// <summary>The default thread count: one per physical core.</summary>
    public static int DefaultThreadCount => Math.Max(1, PhysicalCores.Value);

    /// <summary>Threads used by <see cref="For(int, int, IRangeWork)"/>, the caller included.</summary>
    public int ThreadCount { get; }

    /// <summary>Runs <paramref name="body"/>(start, end) over [0, count) in chunks of at least <paramref name="minChunk"/> items.</summary>
    /// <remarks>Allocates a closure at the call site; hot paths use the <see cref="IRangeWork"/> overload.</remarks>
    public void For(int count, int minChunk, Action<int, int> body)
    {
        _delegateWork.Body = body;
        try { For(count, minChunk, _delegateWork); }
        finally { _delegateWork.Body = null; }
    }

    /// <summary>Runs <paramref name="work"/> over [0, count) in chunks of at least <paramref name="minChunk"/> items, on all threads; returns when every chunk is done.</summary>
    public void For(int count, int minChunk, IRangeWork work)
    {
        if (count <= 0) return;
        int chunks = Math.Clamp(count / Math.Max(1, minChunk), 1, Math.Min(ThreadCount * 4, 0xFFFF));
        if (chunks == 1 || ThreadCount == 1)
        {
            work.Run(0, count);
            return;
        }
        ObjectDisposedException.ThrowIf(_disposed, this);
        EnsureWorkers();
        _work = work;
        _count = count;
        _pendingChunks = chunks;
        long generation = (Volatile.Read(ref _ticket) >> 32) + 1;
        Interlocked.Exchange(ref _ticket, (generation << 32) | ((long)chunks << 16)); // full fence before reading _sleepers
        if (Volatile.Read(ref _sleepers) > 0)
            lock (_gate) Monitor.PulseAll(_gate);
        RunChunks(generation);
        var spin = new SpinWait();
        while (Volatile.Read(ref _pendingChunks) > 0) spin.SpinOnce(-1);
    }

    private void RunChunks(long generation)
    {
        while (true)
        {
            long ticket = Volatile.Read(ref _ticket);
            int chunks = (int)((ticket >> 16) & 0xFFFF), c = (int)(ticket & 0xFFFF);
            if (ticket >> 32 != generation || c >= chunks) return;
            if (Interlocked.CompareExchange(ref _ticket, ticket + 1, ticket) != ticket) continue;
            int count = _count;
            int start = (int)((long)count * c / chunks);
            int end = (int)((long)count * (c + 1) / chunks);
            _work!.Run(start, end);
            Interlocked.Decrement(ref _pendingChunks);
        }
    }

    private void EnsureWorkers()
    {
        if (_workers != null) return;
        _workers = new Thread[ThreadCount - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"wafer-worker-{i + 1}" };
            _workers[i].Start();
        }
    }

    private void WorkerLoop()
    {
        long seen = Volatile.Read(ref _ticket) >> 32;
        while (WaitForJob(ref seen)) RunChunks(seen);
    }

    private bool WaitForJob(ref long seen)
    {
        long spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
        long deadline = Stopwatch.GetTimestamp() + spinTicks;
        int spins = 0;
        while (true)
        {
            long g = Volatile.Read(ref _ticket) >> 32;
            if (g != seen) { seen = g; return true; }
            if (_disposed) return false;
            if ((++spins & 63) != 0 || Stopwatch.GetTimestamp() < deadline)
            {
                Thread.SpinWait(4);
                continue;
            }
            lock (_gate)
            {
                Interlocked.Increment(ref _sleepers);
                while (Volatile.Read(ref _ticket) >> 32 == seen && !_disposed) Monitor.Wait(_gate, 50);
                Interlocked.Decrement(ref _sleepers);
            }
            deadline = Stopwatch.GetTimestamp() + spinTicks;
        }
    }

    /// <summary>Stops the workers.</summary>
    public void Dispose()
    {
        _disposed = true;
        lock (_gate) Monitor.PulseAll(_gate);
    }

    private sealed class DelegateWork : IRangeWork
    {
        public Action<int, int>? Body;

        public void Run(int start, int end) => Body!(start, end);
    }
}
