using Wafer.Bench;
using Wafer.Bench.Tests.Support;

namespace Wafer.Bench.Tests;

/// <summary>The driver's pacing, on a <see cref="ManualClock"/>: what is checked is when requests are sent on the injected clock
/// and how many are in flight, never how fast this machine is.</summary>
public class LoadDriverTests
{
    /// <summary>Bounds a wait on the driver so a broken driver fails the test instead of hanging it; never reached when it works.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    /// <summary>Holds every request until <see cref="Release"/> and tracks how many are in flight at once; send times come from the clock.</summary>
    private sealed class GatedSender(TimeProvider clock) : IRequestSender
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _lock = new();
        private int _inFlight, _entered;

        public int MaxInFlight { get; private set; }

        public int Entered => Volatile.Read(ref _entered);

        public int InFlight => Volatile.Read(ref _inFlight);

        public void Release() => _gate.TrySetResult();

        public async Task<RequestRecord> SendAsync(BenchRequest request, long levelStartTimestamp, CancellationToken cancellationToken)
        {
            double startMs = clock.GetElapsedTime(levelStartTimestamp).TotalMilliseconds;
            lock (_lock) MaxInFlight = Math.Max(MaxInFlight, ++_inFlight);
            Interlocked.Increment(ref _entered);
            await _gate.Task.WaitAsync(cancellationToken);
            Interlocked.Decrement(ref _inFlight);
            return new RequestRecord { Index = request.Index, StartMs = startMs, StatusCode = 200, TtftMs = 1, E2eMs = 1, OutputTokens = 1 };
        }
    }

    /// <summary>Reports on the calling thread, so every report has arrived when the run ends.</summary>
    private sealed class CountingProgress : IProgress<int>
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Report(int value) => Interlocked.Increment(ref _count);
    }

    private static readonly IReadOnlyList<BenchRequest> Requests = WorkloadGenerator.Generate(new WorkloadOptions { PromptTokens = new TokenRange(5, 0) }, 40, 1);

    private static async Task WaitUntilAsync(Func<bool> condition, Task run, string what)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!condition())
        {
            if (run.IsCompleted) await run;
            Assert.False(guard.IsCancellationRequested, $"the driver never got to: {what}");
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Run_ClosedLoop_KeepsExactlyConcurrencyInFlight()
    {
        var clock = new ManualClock();
        var sender = new GatedSender(clock);
        var progress = new CountingProgress();

        var run = new LoadDriver(sender, clock).RunAsync(Requests, LoadLevel.ClosedLoop(8), 0, progress, TestContext.Current.CancellationToken);
        await WaitUntilAsync(() => sender.InFlight == 8, run, "8 requests in flight");
        clock.Advance(TimeSpan.FromSeconds(1.5));
        sender.Release();
        var result = await run.WaitAsync(HangGuard, TestContext.Current.CancellationToken);

        Assert.Equal(8, sender.MaxInFlight);
        Assert.Equal(40, progress.Count);
        Assert.Equal(Enumerable.Range(0, 40), result.Records.Select(r => r.Index));
        Assert.Equal(1.5, result.DurationSeconds);
    }

    [Fact]
    public async Task Run_OpenLoop_SendsAtPoissonArrivalTimesRegardlessOfInFlight()
    {
        const double rate = 100;
        var step = TimeSpan.FromMilliseconds(1);
        var clock = new ManualClock();
        var sender = new GatedSender(clock);
        double[] plannedMs = [.. PoissonArrivals.OffsetsSeconds(Requests.Count, rate, new Random(5)).Select(s => s * 1000)];

        var run = new LoadDriver(sender, clock).RunAsync(Requests, LoadLevel.OpenLoop(rate), 5, null, TestContext.Current.CancellationToken);
        // Step the clock 1 ms at a time, and only once every request due by now has been sent: each is sent within the step it fell due in.
        for (double nowMs = 0; sender.Entered < Requests.Count; nowMs += step.TotalMilliseconds)
        {
            int due = plannedMs.Count(p => p <= nowMs);
            await WaitUntilAsync(() => sender.Entered >= due, run, $"{due} requests sent at {nowMs} ms");
            Assert.Equal(due, sender.Entered);
            clock.Advance(step);
        }
        sender.Release();
        var result = await run.WaitAsync(HangGuard, TestContext.Current.CancellationToken);

        double[] lateMs = [.. result.Records.Select(r => r.StartMs - plannedMs[r.Index])];
        Assert.All(lateMs, late => Assert.InRange(late, 0, step.TotalMilliseconds));
        Assert.Equal(Requests.Count, sender.MaxInFlight);
    }
}
