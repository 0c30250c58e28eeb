using Microsoft.Extensions.Logging;
using Wafer.Router.Configuration;
using Wafer.Router.Hosting;

namespace Wafer.Router.Discovery;

/// <summary>The discovered groups of the configuration in force: one running source per group, and each group's last set.</summary>
/// <remarks>
/// <see cref="Sync"/> starts a source for each new group, stops the sources of groups gone or changed (their replicas go
/// with them) and keeps the rest running, so a reload that does not touch a group keeps its replicas and their live state.
/// Each change of a set calls the change callback, which rebuilds the router's state.
/// </remarks>
internal sealed class ReplicaDiscovery(TimeProvider time, Action changed, ILogger logger) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);

    private sealed class Group(DiscoveryConfig spec, IReplicaSource source)
    {
        public DiscoveryConfig Spec { get; } = spec;
        public IReplicaSource Source { get; } = source;
        public CancellationTokenSource Stop { get; } = new();
        public Task Run { get; set; } = Task.CompletedTask;
        public IReadOnlyList<Replica> Replicas { get; set; } = [];
        public string? LastError { get; set; }
        public long Changes { get; set; }
    }

    /// <summary>What /health shows of one group.</summary>
    internal sealed record GroupStatus(string Name, string Source, bool Known, int Replicas, long Changes, string? LastError);

    /// <summary>Every group's replicas now (empty until its source first answers).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Replica>> Snapshot()
    {
        lock (_lock) return _groups.ToDictionary(g => g.Key, g => g.Value.Replicas, StringComparer.Ordinal);
    }

    public IReadOnlyList<GroupStatus> Status()
    {
        lock (_lock)
            return [.. _groups.Select(g => new GroupStatus(g.Key, g.Value.Source.Describe(), g.Value.Changes > 0, g.Value.Replicas.Count, g.Value.Changes, g.Value.LastError))];
    }

    /// <summary>Makes the running sources match the groups of <paramref name="config"/>.</summary>
    public void Sync(RouterConfig config)
    {
        var wanted = config.Backends.Where(b => b.Discover != null).ToDictionary(b => b.Name, b => b.Discover!, StringComparer.Ordinal);
        var stopped = new List<Group>();
        lock (_lock)
        {
            foreach (var (name, group) in _groups.ToList())
            {
                if (wanted.TryGetValue(name, out var spec) && spec == group.Spec) continue;
                _groups.Remove(name);
                stopped.Add(group);
            }
            foreach (var (name, spec) in wanted)
            {
                if (_groups.ContainsKey(name)) continue;
                var group = new Group(spec, CreateSource(spec, time));
                _groups[name] = group;
                group.Run = Task.Run(() => RunAsync(name, group));
            }
        }
        foreach (var g in stopped)
        {
            g.Stop.Cancel();
            _ = g.Run.ContinueWith(_ => g.Stop.Dispose(), TaskScheduler.Default);
        }
    }

    private async Task RunAsync(string name, Group group)
    {
        try
        {
            await group.Source.RunAsync(replicas =>
            {
                IReadOnlyList<Replica> before;
                lock (_lock)
                {
                    if (!_groups.TryGetValue(name, out var current) || current != group) return; // stopped meanwhile
                    before = group.Replicas;
                    group.Replicas = replicas;
                    group.LastError = null;
                    group.Changes++;
                }
                var added = replicas.Select(r => r.Id).Except(before.Select(r => r.Id)).ToList();
                var removed = before.Select(r => r.Id).Except(replicas.Select(r => r.Id)).ToList();
                RouterLog.Discovered(logger, name, replicas.Count, added.Count > 0 ? string.Join(", ", added) : "-", removed.Count > 0 ? string.Join(", ", removed) : "-");
                changed();
            }, reason =>
            {
                lock (_lock) group.LastError = reason;
                RouterLog.DiscoveryFailed(logger, name, reason);
            }, group.Stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (group.Stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A source's bug ends that source only; /health shows the group's last error.
            lock (_lock) group.LastError = $"discovery stopped: {e.GetType().Name}: {e.Message}";
            RouterLog.DiscoveryFailed(logger, name, e.Message);
        }
    }

    /// <summary>The source for a group's spec: Kubernetes EndpointSlices or DNS.</summary>
    public static IReplicaSource CreateSource(DiscoveryConfig spec, TimeProvider time) =>
        spec.Kubernetes is { } k ? new KubernetesReplicaSource(k, spec.Scheme, time) : new DnsReplicaSource(spec.Dns!, spec.Scheme, time);

    public async ValueTask DisposeAsync()
    {
        List<Group> all;
        lock (_lock)
        {
            all = [.. _groups.Values];
            _groups.Clear();
        }
        foreach (var g in all) await g.Stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(all.Select(g => g.Run)).ConfigureAwait(false);
        foreach (var g in all) g.Stop.Dispose();
    }
}
