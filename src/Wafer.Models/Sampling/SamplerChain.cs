namespace Wafer.Models.Sampling;

/// <summary>An ordered chain of samplers that turns logits into one token id.</summary>
public sealed class SamplerChain
{
    private readonly List<ISampler> _samplers;
    private readonly TokenCandidates _candidates = new();

    /// <summary>Creates a chain; the last sampler must select one token (greedy or dist).</summary>
    public SamplerChain(IEnumerable<ISampler> samplers) => _samplers = [.. samplers];

    /// <summary>The samplers in order.</summary>
    public IReadOnlyList<ISampler> Samplers => _samplers;

    /// <summary>The usual chain for <paramref name="options"/>: penalties → top-k → top-p → min-p → temperature → draw, or greedy at temperature 0.</summary>
    public static SamplerChain Create(SamplingOptions options)
    {
        options.Validate();
        var chain = new List<ISampler>();
        if (options.LogitBias is { Count: > 0 }) chain.Add(new LogitBiasSampler(options.LogitBias));
        if (options.RepetitionPenalty != 1.0f || options.FrequencyPenalty != 0 || options.PresencePenalty != 0)
            chain.Add(new RepetitionPenaltySampler(options.RepetitionPenalty, options.RepetitionWindow, options.FrequencyPenalty, options.PresencePenalty));
        if (options.Temperature == 0)
        {
            chain.Add(new GreedySampler());
            return new SamplerChain(chain);
        }
        chain.Add(new TopKSampler(options.TopK));
        chain.Add(new TopPSampler(options.TopP));
        chain.Add(new MinPSampler(options.MinP));
        chain.Add(new TemperatureSampler(options.Temperature));
        ulong seed = options.Seed ?? (ulong)Random.Shared.NextInt64();
        chain.Add(new DistributionSampler(new Random(unchecked((int)(seed ^ (seed >> 32))))));
        return new SamplerChain(chain);
    }

    /// <summary>Samples a token from <paramref name="logits"/> [vocab] and tells every sampler the choice.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        _candidates.Reset(logits);
        foreach (var s in _samplers) s.Apply(_candidates);
        int token = _candidates.Items[0].Id;
        Accept(token);
        return token;
    }

    /// <summary>Records a token that is now part of the context (prompt or generated).</summary>
    public void Accept(int token)
    {
        foreach (var s in _samplers) s.Accept(token);
    }
}
