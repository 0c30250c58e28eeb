using Wafer.Models.Sampling;

namespace Wafer.Engine.Requests;

/// <summary>A request inside the engine: its tokens so far and how many of them the KV cache holds.</summary>
public sealed class EngineRequest
{
    private readonly List<int> _tokens;

    /// <summary>Creates the engine-side state of <paramref name="spec"/>.</summary>
    public EngineRequest(long id, GenerationRequest spec, long arrivalOrder)
    {
        Id = id;
        Spec = spec;
        ArrivalOrder = arrivalOrder;
        // Sized once for the whole generation (the engine resolves MaxTokens), so appending never grows it.
        _tokens = new List<int>(spec.PromptTokens.Count + Math.Min(spec.MaxTokens ?? 0, 1 << 20));
        _tokens.AddRange(spec.PromptTokens);
        PromptCount = _tokens.Count;
        _prediction = spec.PredictionTokens?.ToArray() ?? [];
    }

    private readonly int[] _prediction;

    public long Id { get; }

    public GenerationRequest Spec { get; }

    /// <summary>Tie-breaker among equal priorities: smaller arrived earlier.</summary>
    public long ArrivalOrder { get; }

    public RequestPriority Priority => Spec.Priority;

    /// <summary>Most tokens to generate (the engine resolves a missing limit to what the context leaves).</summary>
    public int MaxTokens => Spec.MaxTokens ?? int.MaxValue;

    /// <summary>Prompt followed by generated tokens.</summary>
    public IReadOnlyList<int> Tokens => _tokens;

    /// <summary>The tokens as a span (valid until the next append).</summary>
    public ReadOnlySpan<int> TokenSpan => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_tokens);

    public int PromptCount { get; }

    public int OutputCount => _tokens.Count - PromptCount;

    /// <summary>Tokens whose keys and values are in the cache; the rest still need a forward pass.</summary>
    public int ComputedCount { get; set; }

    public RequestStatus Status { get; set; } = RequestStatus.Waiting;

    public FinishReason? FinishReason { get; set; }

    /// <summary>Times this request was preempted and recomputed.</summary>
    public int PreemptionCount { get; set; }

    /// <summary>The KV precision tier the request's sequence is stored at (0 = full; 1 = reduced, under <c>--adaptive</c>),
    /// chosen when the engine queued it and kept through preemptions.</summary>
    public int KvTier { get; set; }

    /// <summary>Prompt tokens served from the prefix cache the first time the request was scheduled.</summary>
    public int CachedPromptCount { get; set; }

    /// <summary>The request's own sampler chain (its own seeded random source), set by the engine.</summary>
    public SamplerChain? Sampler { get; set; }

    /// <summary>The request's position in its grammar, when it has one; the sampler's logits are masked by it.</summary>
    public Wafer.Models.Constraints.GrammarMatcher? Constraint { get; set; }

    /// <summary>Draft tokens proposed for this step (speculative decoding); <see cref="DraftCount"/> of them are valid.</summary>
    public int[] Draft { get; set; } = [];

    /// <summary>Draft tokens in the chunk scheduled this step (0 = an ordinary decode or prefill chunk).</summary>
    public int DraftCount { get; set; }

    /// <summary>Draft tokens proposed for this request so far (OpenAI's accepted + rejected prediction tokens).</summary>
    public long DraftedTokens { get; set; }

    /// <summary>Of those, accepted (the target generated the same token).</summary>
    public long AcceptedTokens { get; set; }

    /// <summary>The prediction tokens as a span (empty when none).</summary>
    public ReadOnlySpan<int> Prediction => _prediction;

    /// <summary>Adds a generated token.</summary>
    public void Append(int token) => _tokens.Add(token);

    /// <inheritdoc/>
    public override string ToString() => $"request {Id} ({Status}, {ComputedCount}/{_tokens.Count} computed)";
}
