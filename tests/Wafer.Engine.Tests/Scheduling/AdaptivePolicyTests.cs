using Wafer.Engine.Adaptive;

namespace Wafer.Engine.Tests.Scheduling;

/// <summary>The adaptive mode's policy: a pure function of the load signals, with a gap between its way in and its way out.</summary>
public class AdaptivePolicyTests
{
    private static readonly AdaptiveOptions Options = new() { EnterKvUsage = 0.75, ExitKvUsage = 0.5, EnterWaiting = 4 };

    private static bool Next(bool was, double kv, int waiting = 0, bool refused = false, bool preempted = false) =>
        AdaptivePolicy.UnderPressure(was, new LoadSignals(kv, waiting, refused, preempted), Options);

    [Theory]
    [InlineData(0.74, 0, false, false, false)]
    [InlineData(0.75, 0, false, false, true)]  // the KV threshold
    [InlineData(0.10, 3, false, false, false)]
    [InlineData(0.10, 4, false, false, true)]  // the queue threshold
    [InlineData(0.10, 0, true, false, true)]   // a waiting request refused blocks
    [InlineData(0.10, 0, false, true, true)]   // a running one preempted
    public void FromCalm(double kv, int waiting, bool refused, bool preempted, bool expected) =>
        Assert.Equal(expected, Next(false, kv, waiting, refused, preempted));

    [Theory]
    [InlineData(0.74, 0, true)]   // between the thresholds it stays
    [InlineData(0.51, 0, true)]
    [InlineData(0.50, 1, true)]   // low enough, but someone waits
    [InlineData(0.50, 0, false)]  // the way out
    [InlineData(0.00, 0, false)]
    public void FromPressure(double kv, int waiting, bool expected) => Assert.Equal(expected, Next(true, kv, waiting));

    [Fact]
    public void FromPressure_ARefusalOrPreemptionKeepsIt() =>
        Assert.True(Next(true, 0.0, refused: true) && Next(true, 0.0, preempted: true));

    [Fact]
    public void QueueThresholdZero_OnlyTheKvSignalsCount() =>
        Assert.False(AdaptivePolicy.UnderPressure(false, new LoadSignals(0.1, 1000, false, false), Options with { EnterWaiting = 0 }));

    [Theory]
    [InlineData(false, KvQuality.Auto, false)]
    [InlineData(true, KvQuality.Auto, true)]
    [InlineData(true, KvQuality.Full, false)]
    [InlineData(false, KvQuality.Fast, true)]
    public void Reduce_FollowsThePressureUnlessTheRequestSays(bool pressure, KvQuality quality, bool expected) =>
        Assert.Equal(expected, AdaptivePolicy.Reduce(pressure, quality));
}
