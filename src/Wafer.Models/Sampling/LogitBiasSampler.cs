namespace Wafer.Models.Sampling;

/// <summary>Adds a fixed bias to the logits of chosen tokens (OpenAI's logit_bias; −100 practically bans a token).</summary>
public sealed class LogitBiasSampler(IReadOnlyDictionary<int, float> bias) : ISampler
{
    private readonly KeyValuePair<int, float>[] _entries = [.. bias]; // [bias.Count] (token id, bias)

    public string Name => "logit-bias";

    /// <summary>Adds each bias to its token's entry of <paramref name="logits"/> [vocab] (ids outside it are ignored, as on the candidates).</summary>
    internal void ApplyTo(Span<float> logits)
    {
        foreach (var (id, b) in _entries)
            if ((uint)id < (uint)logits.Length) logits[id] += b;
    }

    public void Apply(TokenCandidates candidates)
    {
        foreach (ref var c in candidates.Items)
            if (bias.TryGetValue(c.Id, out float b)) c.Logit += b;
    }
}
