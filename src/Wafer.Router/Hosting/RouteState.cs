using Wafer.Router.Backends;
using Wafer.Router.Configuration;
using Wafer.Router.Forwarding;
using Wafer.Router.Policies;

namespace Wafer.Router.Hosting;

/// <summary>One route's live state: its backends, policy, budgets and recent time to first token.</summary>
internal sealed class RouteState
{
    /// <summary>Retries and hedges that may be spent before the ratio has accrued any.</summary>
    private const double BudgetReserve = 3;

    public RouteState(RouteConfig config, IReadOnlyList<Backend> backends, Random random)
    {
        Config = config;
        Backends = backends;
        Policy = RoutingPolicies.Create(config, random);
        Retries = new ExtraRequestBudget(config.RetryBudgetRatio, BudgetReserve);
        Hedges = config.Hedging is { } h ? new ExtraRequestBudget(h.BudgetRatio, BudgetReserve) : null;
        Tiers = [.. backends.GroupBy(b => b.Config.Tier).OrderBy(g => g.Key)
            .Select(g => new Tier(g.Key, [.. g.OrderBy(b => b.Config.CostPer1kInput + b.Config.CostPer1kOutput)], new LeastOutstandingPolicy(random)))];
    }

    public RouteConfig Config { get; }
    public IReadOnlyList<Backend> Backends { get; }
    public IRoutingPolicy Policy { get; }
    public ExtraRequestBudget Retries { get; }
    public ExtraRequestBudget? Hedges { get; }
    public LatencyWindow TimeToFirstToken { get; } = new();

    /// <summary>Backends grouped by cascade tier, cheapest tier first.</summary>
    public IReadOnlyList<Tier> Tiers { get; }

    /// <summary>How long to wait for a first token before hedging.</summary>
    public TimeSpan HedgeDelay()
    {
        var h = Config.Hedging!;
        double ms = h.Adaptive ? Math.Max(h.MinDelayMs, TimeToFirstToken.Percentile(h.Percentile) ?? h.DelayMs) : h.DelayMs;
        return TimeSpan.FromMilliseconds(ms);
    }

    /// <summary>One cascade tier.</summary>
    internal sealed record Tier(int Level, IReadOnlyList<Backend> Backends, IRoutingPolicy Policy);
}
