namespace Wafer.Models.Sampling;

/// <summary>Penalises tokens seen in the last <c>window</c> accepted tokens (llama.cpp's repeat penalty:
/// positive logits divided, negative multiplied), plus OpenAI-style frequency and presence penalties.</summary>
public sealed class RepetitionPenaltySampler(float penalty, int window = 64, float frequencyPenalty = 0, float presencePenalty = 0) : ISampler
{
    // Sized for the whole window up front (up to a bound), so accepting tokens allocates nothing in steady state.
    private readonly Queue<int> _history = new(Math.Clamp(window + 1, 0, PresizeLimit));
    private readonly Dictionary<int, int> _counts = new(Math.Clamp(window + 1, 0, PresizeLimit));

    private const int PresizeLimit = 4096;

    public string Name => "repetition-penalty";

    /// <summary>Seeds the history, e.g. with the prompt's tokens.</summary>
    public void AcceptMany(IEnumerable<int> tokens)
    {
        foreach (int t in tokens) Accept(t);
    }

    public void Accept(int token)
    {
        if (window <= 0) return;
        _history.Enqueue(token);
        _counts[token] = _counts.GetValueOrDefault(token) + 1;
        if (_history.Count > window)
        {
            int old = _history.Dequeue();
            if (--_counts[old] == 0) _counts.Remove(old);
        }
    }

    /// <summary>True when <see cref="Apply"/> would change anything.</summary>
    internal bool IsActive => _counts.Count > 0 && (penalty != 1.0f || frequencyPenalty != 0 || presencePenalty != 0);

    /// <summary>Penalises the entries of <paramref name="logits"/> [vocab] of the tokens in the window only, with the same arithmetic as <see cref="Apply"/>.</summary>
    internal void ApplyTo(Span<float> logits)
    {
        if (!IsActive) return;
        foreach (var (id, count) in _counts)
        {
            if ((uint)id >= (uint)logits.Length) continue;
            float logit = logits[id];
            logit = logit <= 0 ? logit * penalty : logit / penalty;
            logit -= count * frequencyPenalty + presencePenalty;
            logits[id] = logit;
        }
    }

    public void Apply(TokenCandidates candidates)
    {
        if (_counts.Count == 0 || (penalty == 1.0f && frequencyPenalty == 0 && presencePenalty == 0)) return;
        foreach (ref var c in candidates.Items)
        {
            if (!_counts.TryGetValue(c.Id, out int count)) continue;
            c.Logit = c.Logit <= 0 ? c.Logit * penalty : c.Logit / penalty;
            c.Logit -= count * frequencyPenalty + presencePenalty;
        }
    }
}
