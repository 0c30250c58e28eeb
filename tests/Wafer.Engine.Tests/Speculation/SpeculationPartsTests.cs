using Wafer.Engine.KvCache;
using Wafer.Engine.Requests;
using Wafer.Engine.Scheduling;
using Wafer.Engine.Speculation;

namespace Wafer.Engine.Tests.Speculation;

/// <summary>The parts of speculation without a model: the n-gram proposer, the adaptive rule, and the scheduler's rollback
/// of rejected drafts (never in the prefix cache).</summary>
public class SpeculationPartsTests
{
    [Fact]
    public void Ngram_LongestLatestMatchContinues()
    {
        int[] history = [1, 7, 8, 9, 4, 5, 7, 8, 9, 6, 2, 3, 7, 8, 9];
        var draft = new int[3];
        Assert.Equal(3, NgramProposer.Propose(history, [], 2, 3, draft));
        Assert.Equal([6, 2, 3], draft);           // "7 8 9" last seen before "6 2 3"
        Assert.Equal(3, NgramProposer.Propose([5, 1, 2, 5, 1], [], 2, 4, draft));
        Assert.Equal([2, 5, 1], draft);          // runs into the suffix itself: fine, it is a guess
        Assert.Equal(0, NgramProposer.Propose([1, 2, 3, 4], [], 2, 4, draft));
    }

    [Fact]
    public void Ngram_PredictionFirst()
    {
        var draft = new int[4];
        Assert.Equal(4, NgramProposer.Propose([9, 3, 4], [1, 3, 4, 10, 11, 12, 13, 14], 2, 3, draft));
        Assert.Equal([10, 11, 12, 13], draft);
        Assert.Equal(1, NgramProposer.Propose([9, 3, 4], [3, 4, 10], 2, 3, draft)); // no more prediction than there is
    }

    [Theory]
    [InlineData(5, 8, 0, 0, 1, 3)]      // no evidence (α = 0.5), batch 1: 0.5³ ≥ 1/8
    [InlineData(5, 8, 100, 95, 1, 5)]   // high acceptance: the maximum
    [InlineData(5, 8, 100, 5, 1, 0)]    // low acceptance: α ≈ 0.06 < 1/8
    [InlineData(5, 8, 0, 0, 4, 1)]      // half saturated: the bar is 0.5
    [InlineData(5, 8, 100, 95, 8, 0)]   // saturated: off, however good
    [InlineData(5, 8, 100, 95, 7, 2)]   // just below: α = 0.94, α² = 0.886 ≥ 7/8, α³ < 7/8
    public void Policy_PureFunctionOfCounters(int max, int saturation, long drafted, long accepted, int rows, int expected) =>
        Assert.Equal(expected, SpeculationPolicy.DraftLength(max, saturation, drafted, accepted, rows));

    /// <summary>With a measured cost: cheap rows (a memory-bound step) let drafts through, expensive ones (compute-bound) not.</summary>
    [Theory]
    [InlineData(1, 0.05, 4)]    // batch 1, a row costs 5 % of the step: α = 0.5 clears 0.05 four times (0.0625)
    [InlineData(1, 0.3, 1)]     // a row costs 30 %: one draft
    [InlineData(4, 0.2, 0)]     // four rows at 20 % each: the bar is 0.8
    [InlineData(16, 0.01, 2)]   // a wide but memory-bound step: 0.16 — two drafts (0.25 ≥ 0.16, 0.125 <)
    public void Policy_MeasuredCost(int rows, double share, int expected) =>
        Assert.Equal(expected, SpeculationPolicy.DraftLength(5, 64, 0, 0, rows, share));

    [Fact]
    public void StepCostModel_RecoversFixedAndPerTokenCost()
    {
        var model = new StepCostModel();
        Assert.Null(model.MarginalShare(1));
        for (int i = 0; i < 40; i++) model.Record(1, 0.010);       // one size only: the slope is unknown
        Assert.Null(model.Fit());
        for (int i = 0; i < 200; i++)
        {
            int n = 1 + i % 6;
            model.Record(n, 0.010 + 0.002 * n);                    // a = 10 ms, b = 2 ms per token
        }
        var (a, b) = model.Fit()!.Value;
        Assert.InRange(a, 0.0095, 0.0105);
        Assert.InRange(b, 0.0019, 0.0021);
        Assert.InRange(model.MarginalShare(1)!.Value, 0.16, 0.17);  // 2 / 12
    }

    /// <summary>Drafts are scheduled after the last token; a rejected draft's position is not computed (the next step
    /// computes it again) and its block never enters the prefix cache, while accepted ones do.</summary>
    [Fact]
    public void Scheduler_RejectedDraftsRolledBack_PrefixCacheHoldsAcceptedOnly()
    {
        var kv = new KvCacheManager(32, 4);
        var scheduler = new Scheduler(new SchedulerOptions
        {
            MaxBatchTokens = 64, LongPrefillChunk = 0, ContextLength = 64,
            Speculation = new SpeculationOptions { Method = SpeculationMethod.Ngram, MaxDraftTokens = 4, SaturationRows = 64 },
        }, kv);
        // Prompt of 6: "5 6 7 8 9 5": after its prefill and first token 6, the n-gram "5 6" proposes "7 8 9 5".
        var request = new EngineRequest(1, new GenerationRequest { PromptTokens = [5, 6, 7, 8, 9, 5], MaxTokens = 20 }, 1);
        scheduler.Add(request);
        var step = scheduler.Schedule();
        Assert.Equal(0, step.Chunks[0].DraftCount);
        scheduler.Update(step, [6], new List<RequestUpdate>());
        step = scheduler.Schedule();
        var chunk = Assert.Single(step.Chunks);
        Assert.Equal(4, chunk.DraftCount);
        Assert.Equal([7, 8, 9, 5], request.Draft[..4]);
        Assert.Equal((6, 5), (chunk.StartPosition, chunk.TokenCount));
        // The target accepts 7, rejects 8 and says 3 instead: two tokens generated.
        var updates = new List<RequestUpdate>();
        scheduler.Update(step, [7, 3, 0, 0, 0], [2], 5, updates);
        Assert.Equal([5, 6, 7, 8, 9, 5, 6, 7, 3], request.Tokens);
        Assert.Equal(8, request.ComputedCount);               // positions 0…7: the prompt, 6 and the accepted 7
        Assert.Equal([(7, 1), (3, 0)], updates.Select(u => (u.Token, u.Remaining)));
        // Blocks of 4: [5 6 7 8] [9 5 6 7] are full of computed tokens and cached; the draft "8 9 5" after 7 is not.
        Assert.Equal(8, kv.AttachCachedPrefix(99, [5, 6, 7, 8, 9, 5, 6, 7, 8, 9, 5, 1]));
        kv.Free(99);
        Assert.Equal(8, kv.AttachCachedPrefix(98, [5, 6, 7, 8, 9, 5, 6, 7, 3, 1, 1, 1, 1]));
    }
}
