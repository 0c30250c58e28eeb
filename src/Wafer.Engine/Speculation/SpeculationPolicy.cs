namespace Wafer.Engine.Speculation;

/// <summary>How many draft tokens a sequence gets this step: a pure function of its acceptance counters and the batch.</summary>
/// <remarks>
/// Speculation is a latency tool: verifying k drafts costs k extra rows of the forward pass, almost free while a step is
/// bound by reading the weights (few rows), not once the rows saturate compute. The rule:
/// <list type="number">
/// <item>No drafts when the step already has <c>saturation</c> decode rows or more.</item>
/// <item>The sequence's acceptance rate is estimated as α = (accepted + 1) / (drafted + 2) (0.5 before any evidence).</item>
/// <item>The i-th draft token is accepted with probability about αⁱ (all before it must be). It is worth a row when that
/// clears the bar τ = rows / saturation, which rises from 1/saturation at batch 1 to 1 at saturation.</item>
/// <item>So k = the largest k ≤ max with αᵏ ≥ τ.</item>
/// </list>
/// At batch 1 with saturation 8: α = 0.5 gives 3 drafts, α = 0.9 the maximum, α = 0.1 none. At 4 rows α = 0.5 gives 1.
/// </remarks>
public static class SpeculationPolicy
{
    /// <summary>Draft tokens for a sequence with <paramref name="drafted"/> tokens proposed and <paramref name="accepted"/> of
    /// them accepted so far, in a step with <paramref name="decodeRows"/> decode rows.</summary>
    public static int DraftLength(int maxDraft, int saturationRows, long drafted, long accepted, int decodeRows)
    {
        if (maxDraft <= 0 || decodeRows >= saturationRows) return 0;
        double alpha = (accepted + 1.0) / (drafted + 2.0);
        double bar = Math.Max(1, decodeRows) / (double)saturationRows;
        int k = 0;
        double p = 1;
        while (k < maxDraft && (p *= alpha) >= bar) k++;
        return k;
    }
}
