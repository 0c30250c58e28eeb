using Wafer.Router.Backends;
using Wafer.Router.Configuration;
using Wafer.Router.RateLimiting;

namespace Wafer.Router.Hosting;

/// <summary>An immutable snapshot of the configuration in force; a reload swaps in a new one.</summary>
internal sealed class RouterState
{
    private RouterState(RouterConfig config, IReadOnlyDictionary<string, Backend> backends, IReadOnlyDictionary<string, IReadOnlyList<Backend>> groups,
        IReadOnlyDictionary<string, RouteState> routes, KeyRateLimiter? limiter)
    {
        Config = config;
        Backends = backends;
        Groups = groups;
        Routes = routes;
        RateLimiter = limiter;
    }

    public RouterConfig Config { get; }
    /// <summary>Every backend by name: the configured ones and each discovered replica (GROUP/ADDRESS:PORT).</summary>
    public IReadOnlyDictionary<string, Backend> Backends { get; }

    /// <summary>Each discovered group's replicas now.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Backend>> Groups { get; }
    public IReadOnlyDictionary<string, RouteState> Routes { get; }
    public KeyRateLimiter? RateLimiter { get; }

    /// <summary>Builds state for <paramref name="config"/>, keeping the live state (in-flight counts, breakers) of unchanged backends
    /// and the rate-limit buckets of every key still limited (see <see cref="KeyRateLimiter"/>) from <paramref name="previous"/>.
    /// A discovered group becomes one backend per replica in <paramref name="discovered"/> (none yet: an empty group).</summary>
    public static RouterState Build(RouterConfig config, RouterState? previous, TimeProvider time, Random random, Action<Backend> onEjected, Action<Backend> onRecovered,
        IReadOnlyDictionary<string, IReadOnlyList<Discovery.Replica>>? discovered = null)
    {
        var backends = new Dictionary<string, Backend>(StringComparer.Ordinal);
        var groups = new Dictionary<string, IReadOnlyList<Backend>>(StringComparer.Ordinal);
        Backend Live(BackendConfig b) =>
            backends[b.Name] = previous != null && previous.Backends.TryGetValue(b.Name, out var old) && Same(old.Config, b) && previous.Config.Health == config.Health
                ? old
                : new Backend(b, config.Health, time, onEjected, onRecovered);
        foreach (var b in config.Backends)
        {
            if (b.Discover == null)
            {
                Live(b);
                continue;
            }
            var replicas = discovered != null && discovered.TryGetValue(b.Name, out var found) ? found : [];
            groups[b.Name] = [.. replicas.Select(r => Live(b with { Name = $"{b.Name}/{r.Id}", Url = r.Url, Discover = null }))];
        }
        var routes = new Dictionary<string, RouteState>(StringComparer.Ordinal);
        foreach (var r in config.Routes)
            routes[r.Model] = new RouteState(r, [.. r.Backends.SelectMany(n => groups.TryGetValue(n, out var members) ? members : [backends[n]])], random);
        var limiter = config.RateLimits != null ? new KeyRateLimiter(config.RateLimits, time, previous?.RateLimiter) : null;
        return new RouterState(config, backends, groups, routes, limiter);
    }

    private static bool Same(BackendConfig a, BackendConfig b) =>
        (a with { Models = [] }) == (b with { Models = [] }) && a.Models.SequenceEqual(b.Models, StringComparer.Ordinal);
}
