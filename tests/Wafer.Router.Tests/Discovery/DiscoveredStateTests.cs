using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Wafer.Router.Configuration;
using Wafer.Router.Discovery;
using Wafer.Router.Hosting;
using Wafer.Router.Tests.Support;

namespace Wafer.Router.Tests.Discovery;

/// <summary>How discovered replicas become backends, and the DNS source.</summary>
public sealed class DiscoveredStateTests
{
    private static readonly RouterConfig Config = RouterConfigLoader.Parse("""
        {"backends": [{"name": "fixed", "url": "http://127.0.0.1:9001", "models": ["m"]},
                      {"name": "serve", "models": ["m"], "weight": 2, "apiKey": "k", "discover": {"dns": {"host": "h", "port": 8080}}}],
         "routes": [{"model": "m", "backends": ["fixed", "serve"]}]}
        """, "t.json");

    private static RouterState Build(RouterState? previous, params string[] addresses) =>
        RouterState.Build(Config, previous, TimeProvider.System, new Random(1), _ => { }, _ => { },
            new Dictionary<string, IReadOnlyList<Replica>> { ["serve"] = [.. addresses.Select(a => Replica.At("http", a, 8080))] });

    [Fact]
    public void Replicas_BecomeBackendsOfTheGroupsRoutes_WithTheGroupsSettings()
    {
        var state = Build(null, "10.0.0.2", "10.0.0.1");
        Assert.Equal(["fixed", "serve/10.0.0.2:8080", "serve/10.0.0.1:8080"], state.Routes["m"].Backends.Select(b => b.Name));
        var replica = state.Backends["serve/10.0.0.1:8080"];
        Assert.Equal("http://10.0.0.1:8080", replica.Config.Url);
        Assert.Equal(2, replica.Config.Weight);
        Assert.Equal("k", replica.Config.ApiKey);
        Assert.Null(replica.Config.Discover);
        Assert.Equal(2, state.Groups["serve"].Count);
        Assert.Empty(Build(null).Groups["serve"]);
        Assert.Equal(["fixed"], Build(null).Routes["m"].Backends.Select(b => b.Name));
    }

    [Fact]
    public void Rebuild_KeepsTheLiveStateOfReplicasStillThere()
    {
        var first = Build(null, "10.0.0.1", "10.0.0.2");
        var second = Build(first, "10.0.0.2", "10.0.0.3");
        Assert.Same(first.Backends["serve/10.0.0.2:8080"], second.Backends["serve/10.0.0.2:8080"]);
        Assert.Same(first.Backends["fixed"], second.Backends["fixed"]);
        Assert.False(second.Backends.ContainsKey("serve/10.0.0.1:8080"));
    }

    [Fact]
    public void ReplicaIds_IPv6InBrackets_SortedWithoutDuplicates()
    {
        Assert.Equal("http://[fd00::1]:8080", Replica.At("http", "fd00::1", 8080).Url);
        var set = Replica.Normalize([Replica.At("http", "10.0.0.2", 1), Replica.At("http", "10.0.0.1", 1), Replica.At("http", "10.0.0.2", 1)]);
        Assert.Equal(["10.0.0.1:1", "10.0.0.2:1"], set.Select(r => r.Id));
    }

    [Fact]
    public async Task Dns_PublishesChanges_NoSuchHostIsEmpty_OtherFailuresKeepTheSet()
    {
        var answers = Channel.CreateUnbounded<Func<IPAddress[]>>();
        Task<IPAddress[]> Resolve(string host, CancellationToken ct) => answers.Reader.ReadAsync(ct).AsTask().ContinueWith(t => t.Result(), ct, TaskContinuationOptions.None, TaskScheduler.Default);
        var found = Channel.CreateUnbounded<string>();
        var failed = Channel.CreateUnbounded<string>();
        var source = new DnsReplicaSource(new DnsDiscoveryConfig { Host = "h", Port = 8080, IntervalMs = 100 }, "http", TimeProvider.System, Resolve);
        using var stop = new CancellationTokenSource();
        var run = source.RunAsync(r => found.Writer.TryWrite(string.Join(" ", r.Select(x => x.Id))), e => failed.Writer.TryWrite(e), stop.Token);
        async Task<string> Next(Channel<string> c) => await c.Reader.ReadAsync().AsTask().WaitAsync(Wait.Generous);

        answers.Writer.TryWrite(() => [IPAddress.Parse("10.0.0.2"), IPAddress.Parse("10.0.0.1")]);
        Assert.Equal("10.0.0.1:8080 10.0.0.2:8080", await Next(found));
        answers.Writer.TryWrite(() => [IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2")]); // same set: nothing
        answers.Writer.TryWrite(() => throw new SocketException((int)SocketError.TryAgain));
        Assert.Contains("resolving h failed", await Next(failed), StringComparison.Ordinal);
        answers.Writer.TryWrite(() => [IPAddress.Parse("10.0.0.3")]);
        Assert.Equal("10.0.0.3:8080", await Next(found));
        answers.Writer.TryWrite(() => throw new SocketException((int)SocketError.HostNotFound));
        Assert.Equal("", await Next(found));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }
}
