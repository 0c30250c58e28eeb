using Wafer.Router.Backends;
using Wafer.Router.Configuration;
using Wafer.Router.Policies;

namespace Wafer.Router.Tests.Policies;

public sealed class RoutingPolicyTests
{
    private static readonly HealthConfig Health = new();

    private static List<Backend> Backends(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new Backend(new BackendConfig { Name = $"r{i}", Url = $"http://127.0.0.1:{9000 + i}" }, Health, TimeProvider.System))];

    private static RoutingContext Request(string prefix) => new(prefix, 100);

    [Fact]
    public void RoundRobin_ThreeBackends_EachPickedInTurn()
    {
        var backends = Backends(3);
        var policy = new RoundRobinPolicy();
        var picks = Enumerable.Range(0, 6).Select(_ => policy.PickDestination(Request(""), backends)!.Name).ToList();
        Assert.Equal(2, picks.Count(p => p == "r0"));
        Assert.Equal(2, picks.Count(p => p == "r1"));
        Assert.Equal(2, picks.Count(p => p == "r2"));
    }

    [Fact]
    public void LeastOutstanding_OneBusyBackend_PicksAnIdleOne()
    {
        var backends = Backends(3);
        using var busy0 = backends[0].Begin(100);
        using var busy2 = backends[2].Begin(100);
        var policy = new LeastOutstandingPolicy(new Random(1));
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal("r1", policy.PickDestination(Request(""), backends)!.Name));
    }

    [Fact]
    public void LeastOutstanding_EqualRequests_CountsTokensInFlight()
    {
        var backends = Backends(2);
        using var big = backends[0].Begin(4000);
        using var small = backends[1].Begin(100);
        Assert.Equal("r1", new LeastOutstandingPolicy(new Random(1)).PickDestination(Request(""), backends)!.Name);
    }

    [Fact]
    public void PowerOfTwo_TwoBackendsOneBusy_AlwaysPicksTheIdle()
    {
        var backends = Backends(2);
        using var busy = backends[0].Begin(10);
        var policy = new PowerOfTwoChoicesPolicy(new Random(7));
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal("r1", policy.PickDestination(Request(""), backends)!.Name));
    }

    [Fact]
    public void PrefixAffinity_SamePrefix_SameBackendAndPrefixesSpread()
    {
        var backends = Backends(3);
        var policy = new PrefixAffinityPolicy(1.25);
        var owners = new HashSet<string>();
        for (int p = 0; p < 30; p++)
        {
            string first = policy.PickDestination(Request($"system prompt {p}"), backends)!.Name;
            Assert.Equal(first, policy.PickDestination(Request($"system prompt {p}"), backends)!.Name);
            owners.Add(first);
        }
        Assert.Equal(3, owners.Count);
    }

    [Fact]
    public void PrefixAffinity_OwnerOverloaded_SpillsToAnotherBackend()
    {
        var backends = Backends(3);
        var policy = new PrefixAffinityPolicy(1.25);
        var owner = policy.PickDestination(Request("hot prefix"), backends)!;
        var leases = Enumerable.Range(0, 3).Select(_ => owner.Begin(10)).ToList();
        Assert.NotEqual(owner.Name, policy.PickDestination(Request("hot prefix"), backends)!.Name);
        leases.ForEach(l => l.Dispose());
        Assert.Equal(owner.Name, policy.PickDestination(Request("hot prefix"), backends)!.Name);
    }

    [Fact]
    public void PrefixAffinity_OtherBackendRemoved_KeysOfRemainingBackendsStay()
    {
        var backends = Backends(3);
        var policy = new PrefixAffinityPolicy(1.25);
        var before = Enumerable.Range(0, 60).ToDictionary(i => i, i => policy.PickDestination(Request($"p{i}"), backends)!.Name);
        var without = backends.Where(b => b.Name != "r1").ToList();
        foreach (var (i, name) in before.Where(kv => kv.Value != "r1"))
            Assert.Equal(name, policy.PickDestination(Request($"p{i}"), without)!.Name);
    }
}
