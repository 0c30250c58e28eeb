using Wafer.Router.Forwarding;

namespace Wafer.Router.Tests.Forwarding;

public sealed class ExtraRequestBudgetTests
{
    [Fact]
    public void TryWithdraw_EveryRequestAsksForExtra_AtMostRatioPlusReserve()
    {
        var budget = new ExtraRequestBudget(0.1, 3);
        int extra = 0;
        for (int i = 0; i < 1000; i++)
        {
            budget.Deposit();
            if (budget.TryWithdraw()) extra++;
        }
        Assert.InRange(extra, 100, 103);
    }

    [Fact]
    public void Deposit_LongQuietSpell_CappedSoNoStorm()
    {
        var budget = new ExtraRequestBudget(0.05, 3);
        for (int i = 0; i < 100_000; i++) budget.Deposit();
        int burst = 0;
        while (budget.TryWithdraw()) burst++;
        Assert.Equal(8, burst);
    }
}
