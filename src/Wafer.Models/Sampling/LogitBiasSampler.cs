namespace Wafer.Models.Sampling;

/// <summary>Adds a fixed bias to the logits of chosen tokens (OpenAI's logit_bias; −100 practically bans a token).</summary>
public sealed class LogitBiasSampler(IReadOnlyDictionary<int, float> bias) : ISampler
{
    public string Name => "logit-bias";

    public void Apply(TokenCandidates candidates)
    {
        foreach (ref var c in candidates.Items)
            if (bias.TryGetValue(c.Id, out float b)) c.Logit += b;
    }
}
