using Wafer.Kernels.Parallelism;

namespace Wafer.Kernels.Tests.Parallelism;

public class WorkerPoolTests
{
    [Theory]
    [InlineData(1, 1000, 1)]
    [InlineData(2, 1000, 1)]
    [InlineData(3, 7, 1)]
    [InlineData(4, 100_000, 16)]
    public void For_ManyJobs_CoversEveryItemExactlyOnce(int threads, int count, int minChunk)
    {
        using var pool = new WorkerPool(threads);
        var hits = new int[count];
        for (int job = 0; job < 200; job++)
            pool.For(count, minChunk, (start, end) =>
            {
                for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
            });
        Assert.All(hits, h => Assert.Equal(200, h));
    }

    [Fact]
    public void For_ZeroCount_DoesNotCallBody()
    {
        using var pool = new WorkerPool(2);
        bool called = false;
        pool.For(0, 1, (_, _) => called = true);
        Assert.False(called);
    }

    [Fact]
    public void For_AfterIdleSleep_StillRunsOnWorkers()
    {
        using var pool = new WorkerPool(2);
        pool.For(64, 1, (_, _) => { });
        Thread.Sleep(WorkerPool.SpinMicroseconds / 1000 + 30);
        int sum = 0;
        pool.For(64, 1, (start, end) => Interlocked.Add(ref sum, end - start));
        Assert.Equal(64, sum);
    }
}
