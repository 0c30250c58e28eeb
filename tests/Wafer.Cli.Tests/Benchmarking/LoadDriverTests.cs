using Wafer.Cli.Benchmarking;

namespace Wafer.Cli.Tests.Benchmarking;

[Collection(TimingCollection.Name)]
public class LoadDriverTests
{
    /// <summary>Answers every request after a fixed delay and tracks how many are in flight at once.</summary>
    private sealed class CountingSender(TimeSpan latency) : IRequestSender
    {
        private int inFlight;

        public int MaxInFlight { get; private set; }

        public async Task<RequestRecord> SendAsync(BenchRequest request, long levelStartTimestamp, CancellationToken cancellationToken)
        {
            double startMs = TimeProvider.System.GetElapsedTime(levelStartTimestamp).TotalMilliseconds;
            int now = Interlocked.Increment(ref inFlight);
            lock (this) MaxInFlight = Math.Max(MaxInFlight, now);
            await Task.Delay(latency, cancellationToken);
            Interlocked.Decrement(ref inFlight);
            return new RequestRecord { Index = request.Index, StartMs = startMs, StatusCode = 200, TtftMs = 1, E2eMs = latency.TotalMilliseconds, OutputTokens = 1 };
        }
    }

    private static readonly IReadOnlyList<BenchRequest> Requests = WorkloadGenerator.Generate(new WorkloadOptions { PromptTokens = new TokenRange(5, 0) }, 40, 1);

    [Fact]
    public async Task Run_ClosedLoop_KeepsExactlyConcurrencyInFlight()
    {
        var sender = new CountingSender(TimeSpan.FromMilliseconds(20));
        int reported = 0;

        var result = await new LoadDriver(sender, TimeProvider.System).RunAsync(Requests, LoadLevel.ClosedLoop(8), 0,
            new InlineProgress<int>(n => Interlocked.Increment(ref reported)), TestContext.Current.CancellationToken);

        Assert.Equal(8, sender.MaxInFlight);
        Assert.Equal(40, reported);
        Assert.Equal(Enumerable.Range(0, 40), result.Records.Select(r => r.Index));
        Assert.InRange(result.DurationSeconds, 0.09, 2); // five rounds of 20 ms
    }

    [Fact]
    public async Task Run_OpenLoop_SendsAtPoissonArrivalTimesRegardlessOfInFlight()
    {
        const double rate = 100;
        var sender = new CountingSender(TimeSpan.FromMilliseconds(100));

        var result = await new LoadDriver(sender, TimeProvider.System).RunAsync(Requests, LoadLevel.OpenLoop(rate), 5, null, TestContext.Current.CancellationToken);

        double[] planned = PoissonArrivals.OffsetsSeconds(Requests.Count, rate, new Random(5));
        double[] lateMs = [.. result.Records.Select(r => r.StartMs - planned[r.Index] * 1000)];
        Assert.All(lateMs, late => Assert.True(late >= 0, $"sent {-late:0.0} ms early"));
        Assert.True(lateMs.Average() < 15, $"sent {lateMs.Average():0.0} ms late on average");
        Assert.True(sender.MaxInFlight > 1, "open loop must not wait for earlier requests");
    }
}
