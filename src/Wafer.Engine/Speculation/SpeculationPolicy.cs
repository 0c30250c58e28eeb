namespace Wafer.Engine.Speculation;

/// <summary>How many draft tokens a sequence gets this step: a pure function of its acceptance counters, the batch and the
/// measured step cost (<see cref="StepCostModel"/>).</summary>
/// <remarks>
/// Speculation is a latency tool: verifying k drafts adds k rows to the step. The i-th draft (i = 1…k) is accepted with
/// probability about αⁱ (all before it must be), where α = (accepted + 1) / (drafted + 2) is the sequence's acceptance
/// rate (0.5 before any evidence; (accepted + 9) / (drafted + 10), 0.9, for a request that brought a prediction of its
/// answer, whose drafts are expected to hold). Its row costs b seconds (the measured cost of one more token in a step), during which
/// the batch would otherwise produce rows / T tokens (T: what a step of this size takes). So it is worth its row when
/// αⁱ / b ≥ rows / T, that is when αⁱ ≥ τ = rows · b / T — the bar rises with the batch and reaches 1 (no drafts) once a
/// step is bound by compute (T ≈ b · rows), which is when speculation would start to cost throughput.
/// <list type="number">
/// <item>No drafts at <c>saturation</c> decode rows or more (a hard stop; the bar is usually there before).</item>
/// <item>Until the cost model has a fit, b / T = 1 / saturation (then τ = rows / saturation).</item>
/// <item>k = the largest k ≤ max with αᵏ ≥ τ.</item>
/// </list>
/// At batch 1 with b / T = 1/8: α = 0.5 gives 3 drafts, α = 0.9 the maximum, α = 0.1 none. At 4 rows α = 0.5 gives 1.
/// </remarks>
public static class SpeculationPolicy
{
    /// <summary>Draft tokens for a sequence with <paramref name="drafted"/> tokens proposed and <paramref name="accepted"/> of
    /// them accepted so far, in a step with <paramref name="decodeRows"/> decode rows, where one more row costs
    /// <paramref name="marginalShare"/> of the step (b / T; null = unknown, 1 / saturation assumed).</summary>
    public static int DraftLength(int maxDraft, int saturationRows, long drafted, long accepted, int decodeRows, double? marginalShare = null,
        bool predicted = false)
    {
        if (maxDraft <= 0 || decodeRows >= saturationRows) return 0;
        double alpha = predicted ? (accepted + 9.0) / (drafted + 10.0) : (accepted + 1.0) / (drafted + 2.0);
        double bar = Math.Max(1, decodeRows) * (marginalShare ?? 1.0 / saturationRows);
        int k = 0;
        double p = 1;
        while (k < maxDraft && (p *= alpha) >= bar) k++;
        return k;
    }
}
