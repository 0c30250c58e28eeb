using Wafer.Router.Backends;
using Wafer.Router.Configuration;
using Wafer.Router.RateLimiting;

namespace Wafer.Router.Hosting;

/// <summary>An immutable snapshot of the configuration in force; a reload swaps in a new one.</summary>
internal sealed class RouterState
{
    private RouterState(RouterConfig config, IReadOnlyDictionary<string, Backend> backends, IReadOnlyDictionary<string, RouteState> routes, KeyRateLimiter? limiter)
    {
        Config = config;
        Backends = backends;
        Routes = routes;
        RateLimiter = limiter;
    }

    public RouterConfig Config { get; }
    public IReadOnlyDictionary<string, Backend> Backends { get; }
    public IReadOnlyDictionary<string, RouteState> Routes { get; }
    public KeyRateLimiter? RateLimiter { get; }

    /// <summary>Builds state for <paramref name="config"/>, keeping the live state (in-flight counts, breakers) of unchanged backends
    /// and the rate-limit buckets of every key still limited (see <see cref="KeyRateLimiter"/>) from <paramref name="previous"/>.</summary>
    public static RouterState Build(RouterConfig config, RouterState? previous, TimeProvider time, Random random, Action<Backend> onEjected, Action<Backend> onRecovered)
    {
        var backends = new Dictionary<string, Backend>(StringComparer.Ordinal);
        foreach (var b in config.Backends)
        {
            backends[b.Name] = previous != null && previous.Backends.TryGetValue(b.Name, out var old) && Same(old.Config, b) && previous.Config.Health == config.Health
                ? old
                : new Backend(b, config.Health, time, onEjected, onRecovered);
        }
        var routes = new Dictionary<string, RouteState>(StringComparer.Ordinal);
        foreach (var r in config.Routes)
            routes[r.Model] = new RouteState(r, [.. r.Backends.Select(n => backends[n])], random);
        var limiter = config.RateLimits != null ? new KeyRateLimiter(config.RateLimits, time, previous?.RateLimiter) : null;
        return new RouterState(config, backends, routes, limiter);
    }

    private static bool Same(BackendConfig a, BackendConfig b) =>
        (a with { Models = [] }) == (b with { Models = [] }) && a.Models.SequenceEqual(b.Models, StringComparer.Ordinal);
}
