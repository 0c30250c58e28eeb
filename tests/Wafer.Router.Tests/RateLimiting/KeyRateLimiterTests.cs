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

    private static int Admitted(KeyRateLimiter limiter, string key, int upTo = 1000)
    {
        int n = 0;
        while (n < upTo && limiter.TryAcquire(key, 1, out _)) n++;
        return n;
    }

    [Fact]
    public void Constructor_PreviousWithSameLimits_KeyKeepsItsBucketExactly()
    {
        var time = new ManualTimeProvider();
        var config = new RateLimitConfig { RequestsPerMinute = 60 };
        var before = new KeyRateLimiter(config, time);
        Assert.Equal(60, Admitted(before, "k"));
        time.Advance(TimeSpan.FromSeconds(0.5));

        var after = new KeyRateLimiter(config with { }, time, before);

        Assert.False(after.TryAcquire("k", 1, out var wait));
        Assert.Equal(0.5, wait.TotalSeconds, 6); // half a second of refill was already there
        time.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(1, Admitted(after, "k"));
    }

    [Fact]
    public void Constructor_PreviousWithLowerLimit_TokensCappedAtNewCapacity()
    {
        var time = new ManualTimeProvider();
        var before = new KeyRateLimiter(new RateLimitConfig { RequestsPerMinute = 60 }, time);
        Assert.Equal(10, Admitted(before, "k", upTo: 10));

        var after = new KeyRateLimiter(new RateLimitConfig { RequestsPerMinute = 30 }, time, before);

        Assert.Equal(30, Admitted(after, "k"));
    }

    [Fact]
    public void Constructor_PreviousWithHigherLimit_KeepsTheTokensItHadAndRefillsAtTheNewRate()
    {
        var time = new ManualTimeProvider();
        var before = new KeyRateLimiter(new RateLimitConfig { RequestsPerMinute = 60 }, time);
        Assert.Equal(50, Admitted(before, "k", upTo: 50));

        var after = new KeyRateLimiter(new RateLimitConfig { RequestsPerMinute = 120 }, time, before);

        Assert.Equal(10, Admitted(after, "k"));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, Admitted(after, "k"));
    }

    [Fact]
    public void Constructor_PreviousWithTokenLimitChangedOnly_RequestBucketCarriedExactly()
    {
        var time = new ManualTimeProvider();
        var before = new KeyRateLimiter(new RateLimitConfig { RequestsPerMinute = 60, TokensPerMinute = 1000 }, time);
        Assert.Equal(20, Admitted(before, "k", upTo: 20));

        var after = new KeyRateLimiter(new RateLimitConfig { RequestsPerMinute = 60, TokensPerMinute = 500 }, time, before);

        Assert.Equal(40, Admitted(after, "k"));
    }

    [Fact]
    public void Constructor_KeyOverrideRemoved_KeyDroppedAndStartsAfreshUnderTheDefault()
    {
        var time = new ManualTimeProvider();
        var before = new KeyRateLimiter(new RateLimitConfig { RequestsPerMinute = 5, Keys = new Dictionary<string, RateLimitConfig> { ["vip"] = new() { RequestsPerMinute = 100 } } }, time);
        Assert.Equal(100, Admitted(before, "vip"));
        Assert.Equal(5, Admitted(before, "plain"));

        var after = new KeyRateLimiter(new RateLimitConfig { RequestsPerMinute = 5 }, time, before);

        Assert.Equal(5, Admitted(after, "vip"));
        Assert.Equal(0, Admitted(after, "plain"));
    }

    [Fact]
    public void Constructor_LimitNewlySet_StartsFull()
    {
        var time = new ManualTimeProvider();
        var before = new KeyRateLimiter(new RateLimitConfig { TokensPerMinute = 1000 }, time);
        Assert.True(before.TryAcquire("k", 10, out _));

        var after = new KeyRateLimiter(new RateLimitConfig { RequestsPerMinute = 3, TokensPerMinute = 1000 }, time, before);

        Assert.Equal(3, Admitted(after, "k"));
    }
}
