using Microsoft.Extensions.Logging;
using Wafer.Router.Configuration;
using Wafer.Router.Discovery;

namespace Wafer.Router.Hosting;

/// <summary>Puts the router's state together from two inputs that change on their own: router.json and the discovered replicas.</summary>
/// <remarks>
/// A reload builds the new file's state first (an invalid file throws and changes nothing), then starts and stops
/// discovery sources to match it; a discovery change rebuilds from the file in force. Both go through one lock, so the
/// state in force is always the newest of either.
/// </remarks>
internal sealed class LiveConfig : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly RouterContext _context;
    private readonly Func<RouterConfig, RouterState?, IReadOnlyDictionary<string, IReadOnlyList<Replica>>, RouterState> _build;
    private RouterConfig _file;

    public LiveConfig(RouterContext context, RouterConfig file, Func<RouterConfig, RouterState?, IReadOnlyDictionary<string, IReadOnlyList<Replica>>, RouterState> build)
    {
        _context = context;
        _build = build;
        _file = file;
        Discovery = new ReplicaDiscovery(context.Time, Rebuild, context.Logger);
        Discovery.Sync(file);
    }

    /// <summary>The discovered groups and their sources.</summary>
    public ReplicaDiscovery Discovery { get; }

    /// <summary>Makes <paramref name="file"/> the configuration in force; throws (and changes nothing) when it cannot be built.</summary>
    public void Apply(RouterConfig file)
    {
        lock (_lock)
        {
            _context.State = _build(file, _context.State, Discovery.Snapshot());
            _file = file;
        }
        Discovery.Sync(file);
        Rebuild();
    }

    private void Rebuild()
    {
        try
        {
            lock (_lock) _context.State = _build(_file, _context.State, Discovery.Snapshot());
        }
        catch (Exception e)
        {
            // The file's state was built before; a failure here is a bug, and the last state stays.
            RouterLog.RebuildFailed(_context.Logger, e, e.GetType().Name, e.Message);
        }
    }

    public ValueTask DisposeAsync() => Discovery.DisposeAsync();
}
