using Wafer.Router.Configuration;
using Wafer.Router.Hosting;
using Wafer.Router.Tests.Support;

namespace Wafer.Router.Tests.Hosting;

public sealed class RouterStateTests
{
    private static RouterConfig Config(string rateLimits) => RouterConfigLoader.Parse(
        Configs.Router([Configs.Backend("a", new Uri("http://127.0.0.1:1"))], [Configs.Route("m", ["a"])], rateLimits), "t.json");

    private static RouterState Build(RouterConfig config, RouterState? previous, TimeProvider time) =>
        RouterState.Build(config, previous, time, new Random(1), _ => { }, _ => { });

    [Fact]
    public void Build_ReloadWithSameRateLimits_SpentKeyStaysRefused()
    {
        var time = new ManualTimeProvider();
        var first = Build(Config("\"rateLimits\": {\"requestsPerMinute\": 2}"), null, time);
        Assert.True(first.RateLimiter!.TryAcquire("k", 1, out _));
        Assert.True(first.RateLimiter.TryAcquire("k", 1, out _));

        var reloaded = Build(Config("\"rateLimits\": {\"requestsPerMinute\": 2}"), first, time);

        Assert.False(reloaded.RateLimiter!.TryAcquire("k", 1, out var wait));
        Assert.Equal(30, wait.TotalSeconds, 6);
    }

    [Fact]
    public void Build_RateLimitsRemovedThenRestored_StartsFresh()
    {
        var time = new ManualTimeProvider();
        var first = Build(Config("\"rateLimits\": {\"requestsPerMinute\": 1}"), null, time);
        Assert.True(first.RateLimiter!.TryAcquire("k", 1, out _));

        var unlimited = Build(Config(""), first, time);
        var restored = Build(Config("\"rateLimits\": {\"requestsPerMinute\": 1}"), unlimited, time);

        Assert.Null(unlimited.RateLimiter);
        Assert.True(restored.RateLimiter!.TryAcquire("k", 1, out _));
    }
}
