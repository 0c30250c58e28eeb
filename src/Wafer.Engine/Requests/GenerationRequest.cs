using Wafer.Models.Sampling;

namespace Wafer.Engine.Requests;

/// <summary>What a caller asks the engine for: a tokenized prompt and how to continue it. The engine validates it on
/// submission (<see cref="Wafer.Models.InvalidParameterException"/> names the bad field).</summary>
public sealed record GenerationRequest
{
    /// <summary>The prompt, already tokenized (with BOS where the model wants it).</summary>
    public required IReadOnlyList<int> PromptTokens { get; init; }

    /// <summary>Sampling parameters; greedy by default.</summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>Most tokens to generate; null = until the context is full. Prompt plus this must fit the context.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Texts that end generation; the text is cut before them.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Token ids that end generation (in addition to the vocabulary's end-of-generation tokens).</summary>
    public IReadOnlyCollection<int> StopTokens { get; init; } = [];

    /// <summary>Keep going past end-of-generation tokens (benchmarks).</summary>
    public bool IgnoreEndOfGeneration { get; init; }

    /// <summary>How many most likely alternatives to report per generated token (0 = none; the chosen token's logprob is reported when ≥ 0).</summary>
    public int TopLogprobs { get; init; } = -1;

    /// <summary>A grammar the output must follow (GBNF, or a JSON schema compiled to one); null = free text. Decoding is
    /// constrained token by token: only tokens that keep the text a prefix of a sentence can be sampled, and generation ends
    /// when the sentence is complete and nothing may follow, or at an end-of-generation token where it may end.</summary>
    public Wafer.Models.Constraints.Grammar? Grammar { get; init; }

    /// <summary>With <see cref="Grammar"/>: the output is free text until this appears in it, and follows the grammar from
    /// just after it (a lazy grammar: an <c>auto</c> tool call is constrained once the model opens it). Null = from the start.</summary>
    public string? GrammarTrigger { get; init; }

    /// <summary>With <see cref="GrammarTrigger"/>: the trigger is the start of the grammar's sentence (it is matched by the
    /// grammar too, e.g. <c>{"name"</c> opening a Llama 3 call) rather than a marker before it.</summary>
    public bool GrammarTriggerStartsSentence { get; init; }

    /// <summary>Speculative decoding for this request: null = the engine's setting, <see cref="Speculation.SpeculationMethod.None"/>
    /// = off, <see cref="Speculation.SpeculationMethod.Ngram"/> = n-gram lookup (needs no second model, so a request may
    /// ask for it on any engine). Off for requests that ask for logprobs.</summary>
    public Speculation.SpeculationMethod? Speculation { get; init; }

    /// <summary>Tokens the output is expected to repeat (OpenAI's Predicted Outputs, <c>prediction</c>): the n-gram proposer
    /// looks its drafts up here first. The output is the model's either way; a good prediction only makes it faster.</summary>
    public IReadOnlyList<int>? PredictionTokens { get; init; }

    /// <summary>What the request asks of the KV precision (the field <c>quality</c>): <see cref="Adaptive.KvQuality.Auto"/> follows
    /// the server's load under <c>--adaptive</c>; <see cref="Adaptive.KvQuality.Fast"/> needs an engine with <see cref="EngineOptions.Adaptive"/>.</summary>
    public Adaptive.KvQuality Quality { get; init; }

    /// <summary>Scheduling class.</summary>
    public RequestPriority Priority { get; init; } = RequestPriority.Normal;
}
