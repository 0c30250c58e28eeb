namespace Wafer.Models.Sampling;

/// <summary>One candidate next token: its id, logit and (once computed) probability.</summary>
public struct TokenCandidate
{
    public int Id;
    public float Logit;
    public float Probability;
}

/// <summary>The candidate set a sampler chain narrows down; reused between steps so sampling does not allocate.</summary>
public sealed class TokenCandidates
{
    private TokenCandidate[] _items = [];

    /// <summary>Candidates still in the running; the first <see cref="Count"/> entries of the buffer.</summary>
    public Span<TokenCandidate> Items => _items.AsSpan(0, Count);

    /// <summary>How many candidates remain.</summary>
    public int Count { get; private set; }

    /// <summary>True when <see cref="Items"/> is sorted by descending logit.</summary>
    public bool IsSorted { get; private set; }

    /// <summary>Resets to every token of <paramref name="logits"/>.</summary>
    public void Reset(ReadOnlySpan<float> logits)
    {
        if (_items.Length < logits.Length) _items = new TokenCandidate[logits.Length];
        for (int i = 0; i < logits.Length; i++) _items[i] = new TokenCandidate { Id = i, Logit = logits[i] };
        Count = logits.Length;
        IsSorted = false;
    }

    /// <summary>The buffer with room for at least <paramref name="capacity"/> candidates, for a selection to write into before <see cref="SetSorted"/>.</summary>
    internal Span<TokenCandidate> Reserve(int capacity)
    {
        if (_items.Length < capacity) _items = new TokenCandidate[capacity];
        return _items.AsSpan(0, capacity);
    }

    /// <summary>Declares the first <paramref name="count"/> entries of the buffer, already sorted best first, the candidates.</summary>
    internal void SetSorted(int count)
    {
        Count = count;
        IsSorted = true;
    }

    /// <summary>Sorts by descending logit (ties by ascending id, so results never depend on sort stability).</summary>
    public void Sort()
    {
        if (IsSorted) return;
        Items.Sort(static (a, b) => a.Logit != b.Logit ? b.Logit.CompareTo(a.Logit) : a.Id.CompareTo(b.Id));
        IsSorted = true;
    }

    /// <summary>Keeps the first <paramref name="count"/> candidates (after sorting).</summary>
    public void Truncate(int count) => Count = Math.Clamp(count, 1, Count);

    /// <summary>Fills <see cref="TokenCandidate.Probability"/> with the softmax of the logits; sorts first unless <paramref name="sort"/> is false
    /// (drawing a token needs no order, and sorting a 150k vocabulary costs more than the forward pass of a small model).</summary>
    public void ComputeProbabilities(bool sort = true)
    {
        if (sort) Sort();
        var items = Items;
        float max = float.NegativeInfinity;
        foreach (var c in items) max = MathF.Max(max, c.Logit);
        double sum = 0;
        for (int i = 0; i < items.Length; i++)
        {
            items[i].Probability = MathF.Exp(items[i].Logit - max);
            sum += items[i].Probability;
        }
        for (int i = 0; i < items.Length; i++) items[i].Probability = (float)(items[i].Probability / sum);
    }
}
