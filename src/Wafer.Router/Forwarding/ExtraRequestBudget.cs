namespace Wafer.Router.Forwarding;

/// <summary>Caps extra requests (retries or hedges) to a share of primary requests, plus a small reserve.</summary>
/// <remarks>
/// A token bucket: each primary request deposits <c>ratio</c> tokens, each extra request
/// withdraws one. It starts with <c>reserve</c> tokens so the first failures can be retried,
/// and holds at most <c>reserve + 100 × ratio</c> so a long quiet spell cannot bank a storm.
/// </remarks>
internal sealed class ExtraRequestBudget(double ratio, double reserve)
{
    private readonly Lock _lock = new();
    private readonly double _cap = reserve + 100 * ratio;
    private double _balance = reserve;

    /// <summary>Records one primary request.</summary>
    public void Deposit()
    {
        lock (_lock) _balance = Math.Min(_cap, _balance + ratio);
    }

    /// <summary>Takes one extra request from the budget, if it has one.</summary>
    public bool TryWithdraw()
    {
        lock (_lock)
        {
            if (_balance < 1) return false;
            _balance -= 1;
            return true;
        }
    }
}
