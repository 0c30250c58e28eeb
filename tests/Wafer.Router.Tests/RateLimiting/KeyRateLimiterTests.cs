using Wafer.Router.Configuration;
using Wafer.Router.RateLimiting;
using Wafer.Router.Tests.Support;

namespace Wafer.Router.Tests.RateLimiting;

public sealed class KeyRateLimiterTests
{
    [Fact]
    public void TryAcquire_RequestsPerMinuteSpent_RefusedWithRetryAfterThenAdmitted()
    {
        var time = new ManualTimeProvider();
        var limiter = new KeyRateLimiter(new RateLimitConfig { RequestsPerMinute = 60 }, time);
        for (int i = 0; i < 60; i++) Assert.True(limiter.TryAcquire("k", 10, out _));
        Assert.False(limiter.TryAcquire("k", 10, out var wait));
        Assert.Equal(1, wait.TotalSeconds, 3);
        Assert.True(limiter.TryAcquire("other", 10, out _));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire("k", 10, out _));
    }

    [Fact]
    public void TryAcquire_TokensPerMinuteSpent_RefusedAndRefusalCostsNothing()
    {
        var time = new ManualTimeProvider();
        var limiter = new KeyRateLimiter(new RateLimitConfig { RequestsPerMinute = 10, TokensPerMinute = 1000, Keys = new Dictionary<string, RateLimitConfig> { ["vip"] = new() } }, time);
        Assert.True(limiter.TryAcquire("k", 900, out _));
        Assert.False(limiter.TryAcquire("k", 200, out var wait));
        Assert.Equal(6, wait.TotalSeconds, 3);
        for (int i = 0; i < 9; i++) Assert.True(limiter.TryAcquire("k", 10, out _));
        Assert.True(limiter.TryAcquire("vip", 100_000, out _));
    }
}
