using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Gguf;

namespace Wafer.Models.Evaluation;

/// <summary>Measures memory read bandwidth the way token generation uses it: all threads stream one large buffer once per repetition.</summary>
/// <remarks>The buffer (default 1 GiB) is far larger than any cache; each thread sums its part with 256-bit loads.</remarks>
public sealed unsafe class MemoryBandwidth : IRangeWork, IDisposable
{
    private const int BlockBytes = 1 << 20; // work item: 1 MiB
    private readonly byte* _buffer;
    private readonly long _bytes;
    private long _sink;

    /// <summary>Allocates and touches <paramref name="bytes"/> bytes (a multiple of 1 MiB).</summary>
    public MemoryBandwidth(long bytes = 1L << 30)
    {
        _bytes = bytes / BlockBytes * BlockBytes;
        _buffer = (byte*)NativeMemory.AlignedAlloc((nuint)_bytes, 4096);
        HugePages.Advise(_buffer, _bytes);
        new Span<byte>(_buffer, 1).Fill(1);
        for (long i = 0; i < _bytes; i += 4096) _buffer[i] = (byte)i;
    }

    /// <summary>GB/s (10⁹ bytes per second) of each of <paramref name="repetitions"/> passes, after one warm-up pass.</summary>
    public IReadOnlyList<double> Measure(WorkerPool pool, int repetitions)
    {
        var rates = new List<double>();
        int blocks = (int)(_bytes / BlockBytes);
        for (int r = 0; r <= repetitions; r++)
        {
            long start = Stopwatch.GetTimestamp();
            pool.For(blocks, 1, this);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (r > 0) rates.Add(_bytes / seconds / 1e9);
        }
        return rates;
    }

    /// <summary>Sums 1 MiB blocks [start, end).</summary>
    public void Run(int start, int end)
    {
        Vector256<long> a = default, b = default, c = default, d = default;
        for (long block = start; block < end; block++)
        {
            var p = (Vector256<long>*)(_buffer + block * BlockBytes);
            for (int i = 0; i < BlockBytes / 32; i += 4)
            {
                a += p[i];
                b += p[i + 1];
                c += p[i + 2];
                d += p[i + 3];
            }
        }
        Interlocked.Add(ref _sink, Vector256.Sum(a + b + c + d));
    }

    /// <summary>Frees the buffer.</summary>
    public void Dispose() => NativeMemory.AlignedFree(_buffer);
}
