namespace Wafer.Models.Sampling;

/// <summary>An ordered chain of samplers that turns logits into one token id.</summary>
public sealed class SamplerChain
{
    private readonly List<ISampler> _samplers;
    private readonly TokenCandidates _candidates = new();
    private SamplingFastPath? _fast;

    /// <summary>Creates a chain; the last sampler must select one token (greedy or dist).</summary>
    public SamplerChain(IEnumerable<ISampler> samplers) => _samplers = [.. samplers];

    /// <summary>The samplers in order.</summary>
    public IReadOnlyList<ISampler> Samplers => _samplers;

    /// <summary>The usual chain for <paramref name="options"/>: logit bias → penalties → top-k → top-p → min-p → temperature → draw, or
    /// greedy at temperature 0. It samples through <see cref="SamplingFastPath"/>: partial selection, no full sort or softmax.</summary>
    public static SamplerChain Create(SamplingOptions options)
    {
        var chain = new SamplerChain(BuildSamplers(options));
        chain._fast = new SamplingFastPath(chain.Find<LogitBiasSampler>(), chain.Find<RepetitionPenaltySampler>(), chain.Find<GreedySampler>(),
            chain.Find<TopKSampler>(), chain.Find<TopPSampler>(), chain.Find<MinPSampler>(), chain.Find<TemperatureSampler>(), chain.Find<DistributionSampler>());
        return chain;
    }

    /// <summary>The chain of <see cref="Create"/> run sampler by sampler over the whole vocabulary (full sort and softmax): the
    /// reference the fast path is tested and benchmarked against.</summary>
    internal static SamplerChain CreateReference(SamplingOptions options) => new(BuildSamplers(options));

    private static List<ISampler> BuildSamplers(SamplingOptions options)
    {
        options.Validate();
        var chain = new List<ISampler>();
        if (options.LogitBias is { Count: > 0 }) chain.Add(new LogitBiasSampler(options.LogitBias));
        if (options.RepetitionPenalty != 1.0f || options.FrequencyPenalty != 0 || options.PresencePenalty != 0)
            chain.Add(new RepetitionPenaltySampler(options.RepetitionPenalty, options.RepetitionWindow, options.FrequencyPenalty, options.PresencePenalty));
        if (options.Temperature == 0)
        {
            chain.Add(new GreedySampler());
            return chain;
        }
        chain.Add(new TopKSampler(options.TopK));
        chain.Add(new TopPSampler(options.TopP));
        chain.Add(new MinPSampler(options.MinP));
        chain.Add(new TemperatureSampler(options.Temperature));
        ulong seed = options.Seed ?? (ulong)Random.Shared.NextInt64();
        chain.Add(new DistributionSampler(new Random(unchecked((int)(seed ^ (seed >> 32))))));
        return chain;
    }

    private T? Find<T>() where T : class, ISampler
    {
        foreach (var s in _samplers)
            if (s is T found) return found;
        return null;
    }

    /// <summary>True when the chain picks the most likely token (temperature 0): its choice is a pure function of the logits
    /// and the context, which lets a grammar check the choice instead of masking first.</summary>
    public bool IsGreedy => _samplers.Count > 0 && _samplers[^1] is GreedySampler;

    /// <summary>Samples a token from <paramref name="logits"/> [vocab] and tells every sampler the choice.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        int token = Choose(logits);
        Accept(token);
        return token;
    }

    /// <summary>The token <see cref="Sample"/> would pick, without recording it (call <see cref="Accept"/> with the one kept).</summary>
    public int Choose(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty) throw new ArgumentException("there are no logits to sample from (an empty vocabulary)", nameof(logits));
        int token;
        if (_fast != null)
        {
            token = _fast.Sample(logits, _candidates);
        }
        else
        {
            _candidates.Reset(logits);
            foreach (var s in _samplers) s.Apply(_candidates);
            token = _candidates.Items[0].Id;
        }
        return token;
    }

    /// <summary>Records a token that is now part of the context (prompt or generated).</summary>
    public void Accept(int token)
    {
        foreach (var s in _samplers) s.Accept(token);
    }
}
