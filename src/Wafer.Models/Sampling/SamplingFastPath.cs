using Wafer.Kernels.Ops;

namespace Wafer.Models.Sampling;

/// <summary>The chain <see cref="SamplerChain.Create"/> builds, run without copying, sorting or normalising the whole vocabulary.</summary>
/// <remarks>
/// Step 1: logit bias and penalties change only the tokens they name, on one copy of the logits (none when neither applies).
/// Step 2: greedy is an argmax. Otherwise truncation selects the survivors straight from the logits: top-k by a bounded heap,
/// min-p by a threshold pass (logit ≥ max + ln p), top-p by the softmax normaliser from one vectorised pass and a growing
/// top-m selection until the kept mass reaches p. The survivors come out sorted best first, the order the full sort gives.
/// Step 3: the chain's own samplers run on those few candidates: the same arithmetic on the same candidates in the same order
/// as the reference path (<see cref="SamplerChain"/> over <see cref="TokenCandidates"/>), so the same seed draws the same token.
/// Only the top-p normaliser (summed in another order, with <see cref="VectorExp"/>) and the draw without truncation (one
/// vectorised pass instead of a normalised softmax) round differently; both draw from the same distribution.
/// Anything outside these shapes (k above an eighth of the vocabulary, a top-p or min-p set of more than
/// <see cref="MaxSelection"/> tokens, non-finite logits) takes the reference path.
/// </remarks>
internal sealed class SamplingFastPath
{
    /// <summary>The most survivors a selection gathers before the reference path is cheaper.</summary>
    internal const int MaxSelection = 4096;

    private const int FirstTopPSelection = 64;

    private readonly LogitBiasSampler? _bias;
    private readonly RepetitionPenaltySampler? _penalty;
    private readonly bool _greedy;
    private readonly TopKSampler? _topK;
    private readonly TopPSampler? _topP;
    private readonly MinPSampler? _minP;
    private readonly TemperatureSampler? _temperature;
    private readonly DistributionSampler? _dist;
    // Scratch of one Sample call, one set per thread (a batch's rows are sampled on the worker pool), not per request.
    [ThreadStatic] private static float[]? t_work;    // [vocab] logits after bias and penalties
    [ThreadStatic] private static float[]? t_exps;    // [vocab] e^(logit/T − max) for a draw without truncation
    [ThreadStatic] private static double[]? t_blocks; // [vocab / LogitExp.BlockLength] block sums of the exps

    /// <summary>Takes the samplers of a chain shaped as <see cref="SamplerChain.Create"/> builds it.</summary>
    public SamplingFastPath(LogitBiasSampler? bias, RepetitionPenaltySampler? penalty, GreedySampler? greedy,
        TopKSampler? topK, TopPSampler? topP, MinPSampler? minP, TemperatureSampler? temperature, DistributionSampler? dist)
    {
        if (greedy == null && (topK == null || topP == null || minP == null || temperature == null || dist == null))
            throw new ArgumentException("a sampling chain ends in greedy or in top-k, top-p, min-p, temperature and dist");
        (_bias, _penalty, _greedy, _topK, _topP, _minP, _temperature, _dist) = (bias, penalty, greedy != null, topK, topP, minP, temperature, dist);
    }

    /// <summary>The token the chain chooses from <paramref name="logits"/> [vocab]; <paramref name="candidates"/> is scratch.</summary>
    public int Sample(ReadOnlySpan<float> logits, TokenCandidates candidates)
    {
        // Step 1: bias and penalties.
        ReadOnlySpan<float> work = BiasAndPenalise(logits);
        // Step 2: greedy, or truncation.
        if (_greedy) return LogitSelection.ArgMax(work);
        int k = _topK!.K;
        if (k > 0 && k < work.Length)
        {
            SelectTopK(work, k, candidates);
            _topP!.Apply(candidates); // top-p over the k survivors, as the reference computes it after its full sort
        }
        else if (_topP!.P >= 1.0f && _minP!.P <= 0)
        {
            return DrawAll(work, candidates);
        }
        else if (!(_topP.P < 1.0f ? SelectNucleus(work, candidates) : SelectMinP(work, candidates)))
        {
            // A shape the selection does not cover: the reference, sampler by sampler (top-k is off here).
            candidates.Reset(work);
            _topP.Apply(candidates);
        }
        // Step 3: the rest of the chain on the survivors.
        _minP!.Apply(candidates);
        _temperature!.Apply(candidates);
        _dist!.Apply(candidates);
        return candidates.Items[0].Id;
    }

    private ReadOnlySpan<float> BiasAndPenalise(ReadOnlySpan<float> logits)
    {
        if (_bias == null && _penalty?.IsActive != true) return logits;
        if ((t_work?.Length ?? 0) < logits.Length) t_work = new float[logits.Length];
        Span<float> work = t_work.AsSpan(0, logits.Length);
        logits.CopyTo(work);
        _bias?.ApplyTo(work);
        _penalty?.ApplyTo(work);
        return work;
    }

    // The k best by a bounded heap: n·log k against the reference's n·log n.
    private static void SelectTopK(ReadOnlySpan<float> work, int k, TokenCandidates candidates) =>
        candidates.SetSorted(LogitSelection.TopK(work, k, candidates.Reserve(k)));

    // Min-p alone: the tokens with logit ≥ max + ln p, sorted.
    private bool SelectMinP(ReadOnlySpan<float> work, TokenCandidates candidates)
    {
        float max = VectorMath.Max(work);
        if (!float.IsFinite(max) || !SelectMinPSet(work, max, candidates, out var sorted)) return false;
        candidates.SetSorted(sorted.Length);
        return true;
    }

    // The min-p set (logit ≥ max + ln p) sorted best first in the candidates' buffer; false when it holds more than MaxSelection.
    private bool SelectMinPSet(ReadOnlySpan<float> work, float max, TokenCandidates candidates, out Span<TokenCandidate> sorted)
    {
        int capacity = Math.Min(work.Length, MaxSelection);
        var buffer = candidates.Reserve(capacity);
        int count = LogitSelection.AtLeast(work, max + MathF.Log(_minP!.P), buffer);
        sorted = count > capacity ? default : buffer[..count];
        if (count > capacity) return false;
        LogitSelection.SortBestFirst(sorted);
        return true;
    }

    // Top-p without top-k: the smallest best-first prefix whose probability (over the whole vocabulary) reaches p. With min-p
    // also on, the survivors are the shorter of the two prefixes, so the min-p set bounds the search.
    private bool SelectNucleus(ReadOnlySpan<float> work, TokenCandidates candidates)
    {
        float max = VectorMath.Max(work);
        if (!float.IsFinite(max)) return false;
        int n = work.Length;
        double normaliser = LogitExp.ExpSums(work, 1.0f, max, [], Blocks(n));
        if (!(normaliser > 0) || !double.IsFinite(normaliser)) return false;
        float p = _topP!.P;
        if (_minP!.P > 0)
        {
            if (!SelectMinPSet(work, max, candidates, out var sorted)) return false;
            int keep = NucleusLength(sorted, max, normaliser, p);
            candidates.SetSorted(keep > 0 ? keep : sorted.Length);
            return true;
        }
        for (int m = Math.Min(FirstTopPSelection, n); ; m = Math.Min(m * 4, n))
        {
            var buffer = candidates.Reserve(m);
            int count = LogitSelection.TopK(work, m, buffer);
            int keep = NucleusLength(buffer[..count], max, normaliser, p);
            if (keep > 0 || m == n)
            {
                candidates.SetSorted(keep > 0 ? keep : count);
                return true;
            }
            if (m >= MaxSelection) return false;
        }
    }

    // The length of the shortest prefix whose probability reaches p, as TopPSampler sums it; 0 when this prefix does not.
    private static int NucleusLength(ReadOnlySpan<TokenCandidate> sorted, float max, double normaliser, float p)
    {
        double cumulative = 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            cumulative += (float)(MathF.Exp(sorted[i].Logit - max) / normaliser);
            if (cumulative >= p) return i + 1;
        }
        return 0;
    }

    // No truncation: the reference draws from the softmax in id order; this draws the same way from unnormalised weights.
    private int DrawAll(ReadOnlySpan<float> work, TokenCandidates candidates)
    {
        float temperature = _temperature!.Temperature;
        float max = VectorMath.Max(work) / temperature;
        int n = work.Length;
        if (!float.IsFinite(max)) return ReferenceDraw(work, candidates);
        if ((t_exps?.Length ?? 0) < n) t_exps = new float[n];
        var exps = t_exps.AsSpan(0, n);
        var blocks = Blocks(n);
        double total = LogitExp.ExpSums(work, temperature, max, exps, blocks);
        if (!(total > 0) || !double.IsFinite(total)) return ReferenceDraw(work, candidates);
        return LogitExp.Find(exps, blocks, _dist!.Random.NextDouble() * total);
    }

    private int ReferenceDraw(ReadOnlySpan<float> work, TokenCandidates candidates)
    {
        candidates.Reset(work);
        _temperature!.Apply(candidates);
        _dist!.Apply(candidates);
        return candidates.Items[0].Id;
    }

    private Span<double> Blocks(int n)
    {
        int count = LogitExp.BlockCount(n);
        if ((t_blocks?.Length ?? 0) < count) t_blocks = new double[count];
        return t_blocks.AsSpan(0, count);
    }
}
