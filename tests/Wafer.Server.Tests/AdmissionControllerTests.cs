using Wafer.Server.Admission;
using Wafer.Server.Api;

namespace Wafer.Server.Tests;

/// <summary>Admission and its Retry-After estimate, on a clock the test moves.</summary>
public class AdmissionControllerTests
{
    private readonly ManualTimeProvider _time = new();

    private static int RetryAfter(AdmissionController admission)
    {
        var e = Assert.Throws<ApiException>(() => admission.Admit(10));
        Assert.Equal(429, e.Status);
        return e.RetryAfterSeconds!.Value;
    }

    [Fact]
    public void Admit_BeyondRunningPlusQueue_429WithRetryAfter()
    {
        var admission = new AdmissionController(maxRunning: 2, maxQueue: 1, maxQueueTokens: 1000, _time);
        var leases = Enumerable.Range(0, 3).Select(_ => admission.Admit(10)).ToList();

        // 2 ahead (3 admitted − 2 running + 1), drained 2 at a time: one round of the initial 1 s mean.
        Assert.Equal(1, RetryAfter(admission));
        leases[0].Dispose();
        using var again = admission.Admit(10);
        Assert.Equal(3, admission.Admitted);
    }

    [Fact]
    public void Admit_QueueFullBeforeAnyFinished_RoundsAheadTimesTheInitialMean()
    {
        var admission = new AdmissionController(maxRunning: 2, maxQueue: 3, maxQueueTokens: 1000, _time);
        var leases = Enumerable.Range(0, 5).Select(_ => admission.Admit(10)).ToList();

        // 4 ahead (5 − 2 + 1), 2 at a time: 2 rounds × 1 s.
        var e = Assert.Throws<ApiException>(() => admission.Admit(10));
        Assert.Equal(2, e.RetryAfterSeconds);
        Assert.Contains("retry after 2 s (4 request(s) ahead, served 2 at a time, recent mean 1.000 s per request)", e.Message);
    }

    [Fact]
    public void Admit_AfterARequestTook13Seconds_RetryAfterFollowsTheMovingMean()
    {
        var admission = new AdmissionController(maxRunning: 2, maxQueue: 3, maxQueueTokens: 1000, _time);
        var leases = Enumerable.Range(0, 5).Select(_ => admission.Admit(10)).ToList();
        _time.Advance(TimeSpan.FromSeconds(13));
        leases[0].Dispose();
        leases[0] = admission.Admit(10);

        // mean 0.9 × 1 s + 0.1 × 13 s = 2.2 s; 2 rounds = 4.4 s, rounded up.
        Assert.Equal(5, RetryAfter(admission));
    }

    [Fact]
    public void Admit_ShortRequestsFinished_RetryAfterShrinksButStaysAtLeastOneSecond()
    {
        var admission = new AdmissionController(maxRunning: 1, maxQueue: 1, maxQueueTokens: 1000, _time);
        for (int i = 0; i < 50; i++)
        {
            using var quick = admission.Admit(10);
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }
        using var running = admission.Admit(10);
        using var queued = admission.Admit(10);

        // mean → ~0.015 s; 2 ahead × 0.015 s rounds up to the 1 s floor.
        Assert.Equal(1, RetryAfter(admission));
    }

    [Fact]
    public void Admit_VeryLongRequests_RetryAfterCappedAtMaximum()
    {
        var admission = new AdmissionController(maxRunning: 1, maxQueue: 1, maxQueueTokens: 1000, _time);
        var first = admission.Admit(10);
        _time.Advance(TimeSpan.FromHours(10));
        first.Dispose();
        using var running = admission.Admit(10);
        using var queued = admission.Admit(10);

        Assert.Equal(AdmissionController.MaxRetryAfterSeconds, RetryAfter(admission));
    }

    [Fact]
    public void Admit_QueuedPromptTokensOverLimit_429()
    {
        var admission = new AdmissionController(maxRunning: 1, maxQueue: 10, maxQueueTokens: 100, _time);
        using var running = admission.Admit(90);
        var e = Assert.Throws<ApiException>(() => admission.Admit(20));
        Assert.Contains("prompt tokens", e.Message);
        running.MarkStarted();
        using var fits = admission.Admit(20);
    }

    [Fact]
    public void Constructor_WithoutClock_UsesTheSystemClock()
    {
        var admission = new AdmissionController(1, 0, 100);
        using var lease = admission.Admit(10);
        Assert.Equal(1, RetryAfter(admission));
    }
}
