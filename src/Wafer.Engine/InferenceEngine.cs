using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Wafer.Engine.Commands;
using Wafer.Engine.Execution;
using Wafer.Engine.KvCache;
using Wafer.Engine.Metrics;
using Wafer.Engine.Requests;
using Wafer.Engine.Scheduling;
using Wafer.Models;
using Wafer.Models.Architectures;
using Wafer.Models.Constraints;
using Wafer.Models.Sampling;
using Wafer.Models.Tokenization;

namespace Wafer.Engine;

/// <summary>Serves many generations at once from one model: continuous batching over a paged, prefix-sharing KV cache.</summary>
/// <remarks>
/// The model, KV cache and scheduler belong to one engine thread. Callers talk to it in messages, one type each
/// (<see cref="SubmitCommand"/>, <see cref="CancelCommand"/>, <see cref="EmbedCommand"/>, <see cref="StopCommand"/>):
/// <see cref="Submit"/> validates a request on the caller's thread and posts it; its <see cref="GenerationStream"/> carries the
/// token events back. Each loop turn: Step 1 applies the messages; Step 2 schedules; Step 3 runs the forward pass and samples;
/// Step 4 appends the tokens, turns them into text, lets <see cref="FinishRules"/> decide who is finished and delivers the
/// events. Every request leaves through <see cref="Finish"/>, whatever the reason. Once the loop ends, the command channel is
/// closed and anything still in it is failed, so no caller ever waits on a message nobody will read.
/// </remarks>
public sealed class InferenceEngine : IAsyncDisposable
{
    private readonly TransformerModel _model;
    private readonly Tokenizer _tokenizer;
    private readonly EngineOptions _options;
    private readonly KvCacheManager _kv;
    private readonly PagedKvStorage _storage;
    private readonly Scheduler _scheduler;
    private readonly ModelRunner _runner;
    private readonly FinishRules _rules;
    private readonly Channel<EngineCommand> _commands = Channel.CreateUnbounded<EngineCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<long, ActiveRequest> _active = [];
    private readonly SchedulerOutput _step = new();        // reused every step, so the loop allocates nothing per step
    private readonly List<RequestUpdate> _updates = [];
    private readonly Thread _thread;
    private long _nextId;
    private volatile int _waiting;
    private volatile int _running;
    private long _waitingTokens;
    private volatile bool _stopping;
    private bool _stopWhenIdle;
    private long _preemptions;
    private long _embedBatches;
    private long _specDrafted, _specAccepted, _specVerifications;
    private readonly Speculation.DraftModel? _draft;
    private readonly Adaptive.AdaptiveOptions? _adaptive;
    private readonly KvPrecision[] _precisions;            // by tier: [full] or [full, reduced]
    private readonly int[] _heldByTier;                    // requests queued or running, by tier (engine thread writes)
    private volatile bool _pressure;                       // --adaptive: new sequences are admitted at the reduced tier
    private bool _stepPreempted;                           // the last step preempted someone (a signal of --adaptive)
    private long _promisedBlocks;                          // blocks the queued and running requests need at their end (--adaptive)

    /// <summary>Starts an engine over a loaded model. The context length is resolved here, once
    /// (<see cref="EngineOptions.ResolveContextLength"/>): options may ask for less than the model's, or 0 for the default.</summary>
    public InferenceEngine(TransformerModel model, Tokenizer tokenizer, EngineOptions options)
    {
        _model = model;
        _tokenizer = tokenizer;
        options.Validate();
        int context = EngineOptions.ResolveContextLength(options.Scheduler.ContextLength, model.Config.ContextLength);
        _options = options with { Scheduler = options.Scheduler with { ContextLength = context } };
        int blocks = KvCacheSizing.BlockCount(model.Config, _options, KvCacheSizing.AvailableMemoryBytes());
        var full = new KvPrecision(_options.KeyType, _options.ValueType);
        _adaptive = _options.Adaptive?.Validate(full, model.Config.HeadDim);
        _precisions = _adaptive == null ? [full] : [full, _adaptive.Reduced];
        _heldByTier = new int[_precisions.Length];
        _storage = new PagedKvStorage(model.Config, blocks, _options.BlockSize, _options.KeyType, _options.ValueType, _adaptive?.Reduced);
        _kv = new KvCacheManager(blocks, _options.BlockSize, _options.PrefixCaching, context, _storage.BlockSizes); // the storage's tiers, so both agree
        var speculation = _options.Scheduler.Speculation;
        if (speculation.Method == Speculation.SpeculationMethod.Draft)
        {
            // The draft's cache holds as many tokens as the target's, plus every sequence's drafts.
            long tokens = (long)blocks * _options.BlockSize + (long)_options.Scheduler.MaxSequences * (speculation.MaxDraftTokens + _options.BlockSize);
            try
            {
                _draft = Speculation.DraftModel.Load(speculation.Draft!, model, tokenizer, model.Pool, (int)Math.Min(tokens, int.MaxValue / 2), _options.BlockSize, repack: true);
            }
            catch
            {
                _storage.Dispose();
                throw;
            }
        }
        _scheduler = new Scheduler(_options.Scheduler, _kv, _draft);
        _runner = new ModelRunner(model, _kv, _storage);
        _rules = new FinishRules(tokenizer.IsEndOfGeneration, context);
        _runner.EndsRun = (request, token) => _rules.IsEndToken(request, token) || request.Constraint?.IsDone == true;
        Metrics = new EngineMetrics(() => _waiting, () => _running, () => _kv.UsedBlocks, () => _kv.TotalBlocks,
            () => _kv.PrefixQueryTokens, () => _kv.PrefixHitTokens, model: _options.MetricsModel,
            precisions: Array.ConvertAll(_precisions, p => p.Name), held: tier => Volatile.Read(ref _heldByTier[tier]), pressure: () => _pressure);
        _thread = new Thread(Loop) { IsBackground = true, Name = "wafer-engine" };
        _thread.Start();
    }

    /// <summary>The model served.</summary>
    public TransformerModel Model => _model;

    /// <summary>The model's tokenizer.</summary>
    public Tokenizer Tokenizer => _tokenizer;

    /// <summary>The options in force (with the context length resolved).</summary>
    public EngineOptions Options => _options;

    /// <summary>Most tokens (prompt + output) one request may hold: the one resolved context length everything else asks for.</summary>
    public int ContextLength => _options.Scheduler.ContextLength;

    /// <summary>The engine's metric instruments.</summary>
    public EngineMetrics Metrics { get; }

    /// <summary>KV cache capacity in tokens (at full precision).</summary>
    public long KvCapacityTokens => (long)_kv.TotalBlocks * _kv.BlockSize;

    /// <summary>KV cache capacity in tokens if every sequence were stored at tier <paramref name="tier"/>.</summary>
    public long KvCapacityTokensAt(int tier) => (long)_kv.TotalBlocks * _kv.BlockSizeOf(tier);

    /// <summary>Whether <c>--adaptive</c> admits new sequences at the reduced precision now (as of the last step).</summary>
    public bool UnderPressure => _pressure;

    /// <summary>Requests queued or running at each tier's precision now.</summary>
    public int HeldAt(int tier) => Volatile.Read(ref _heldByTier[tier]);

    /// <summary>KV cache size in bytes.</summary>
    public long KvCacheBytes => _storage.TotalBytes;

    /// <summary>Requests waiting for their first scheduling (or after a preemption), as of the last step.</summary>
    public int WaitingCount => _waiting;

    /// <summary>Requests being computed, as of the last step.</summary>
    public int RunningCount => _running;

    /// <summary>Prompt tokens of waiting requests, as of the last step.</summary>
    public long WaitingTokenCount => Interlocked.Read(ref _waitingTokens);

    /// <summary>Requests preempted (and recomputed later) since start.</summary>
    public long PreemptionCount => Interlocked.Read(ref _preemptions);

    /// <summary>Embedding batches run so far (each one between two steps).</summary>
    public long EmbedBatchCount => Interlocked.Read(ref _embedBatches);

    /// <summary>Draft tokens proposed so far (speculative decoding), and of those accepted.</summary>
    public (long Drafted, long Accepted) SpeculationCounts => (Interlocked.Read(ref _specDrafted), Interlocked.Read(ref _specAccepted));

    /// <summary>The draft model, when speculation uses one.</summary>
    public Speculation.DraftModel? DraftModel => _draft;

    /// <summary>Verifications so far: decode steps of a sequence that carried drafts.</summary>
    public long SpeculationVerifications => Interlocked.Read(ref _specVerifications);

    /// <summary>Prefix-cache lookups and hits, in prompt tokens.</summary>
    public (long QueryTokens, long HitTokens) PrefixCacheStats => (_kv.PrefixQueryTokens, _kv.PrefixHitTokens);

    /// <summary>KV blocks held and in all.</summary>
    public (int Used, int Total) KvBlocks => (_kv.UsedBlocks, _kv.TotalBlocks);

    /// <summary>Test hook: runs on the engine thread before each forward pass; an exception it throws fails the step as a
    /// failing forward pass would.</summary>
    internal Action<SchedulerOutput>? BeforeStep { get; set; }

    /// <summary>Validates <paramref name="request"/> and posts it. Throws <see cref="InvalidParameterException"/> (naming the
    /// field) for a bad request and <see cref="EngineStoppedException"/> once the engine is stopping; nothing is queued then.
    /// Cancelling <paramref name="cancellationToken"/>, leaving the enumeration or disposing the stream cancels the request.</summary>
    public GenerationStream Submit(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        var resolved = Validate(request);
        cancellationToken.ThrowIfCancellationRequested();
        if (_stopping) throw Stopped();
        long id = Interlocked.Increment(ref _nextId);
        var stream = new GenerationStream(id, _commands.Writer, cancellationToken);
        if (!_commands.Writer.TryWrite(new SubmitCommand(id, resolved, stream, Stopwatch.GetTimestamp(), Telemetry.EngineTracing.Capture()))) throw Stopped();
        stream.WatchCancellation();
        return stream;
    }

    /// <summary>Generates a continuation of <paramref name="request"/>'s prompt, one event per token; the last event has a finish
    /// reason. The same as enumerating <see cref="Submit"/>'s stream (validation errors surface on the first read).</summary>
    public async IAsyncEnumerable<TokenEvent> GenerateAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stream = Submit(request, cancellationToken);
        await foreach (var e in stream.WithCancellation(cancellationToken).ConfigureAwait(false)) yield return e;
    }

    /// <summary>Tokens of one embedding batch at most: a batch runs between two steps, so this bounds how long generation waits.</summary>
    public const int EmbedBatchTokens = 2048;

    /// <summary>A sentence embedding of <paramref name="tokens"/> by a BERT-family <paramref name="encoder"/>, run on the engine
    /// thread between steps (embeddings and generation share one loop), pooled as its GGUF says and L2-normalised. An empty,
    /// over-long or out-of-vocabulary input faults the task with the encoder's <see cref="InvalidParameterException"/>.</summary>
    public async Task<float[]> EmbedAsync(IReadOnlyList<int> tokens, Wafer.Models.Architectures.BertModel encoder, CancellationToken cancellationToken = default) =>
        (await EmbedAsync([tokens], encoder, cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Embeddings of several sentences by <paramref name="encoder"/>, in order: batches of up to
    /// <see cref="EmbedBatchTokens"/> tokens (one matrix multiplication per layer and batch), one batch between two steps.</summary>
    public async Task<float[][]> EmbedAsync(IReadOnlyList<IReadOnlyList<int>> sentences, Wafer.Models.Architectures.BertModel encoder, CancellationToken cancellationToken = default)
    {
        var vectors = new List<float[]>(sentences.Count);
        foreach (var (start, count) in EmbedBatches(sentences.Select(s => s.Count).ToList()))
            vectors.AddRange(await Enqueue(sentences.Skip(start).Take(count).ToList(), encoder, cancellationToken).ConfigureAwait(false));
        return [.. vectors];
    }

    /// <summary>Consecutive runs of sentences (by their token counts) of at most <see cref="EmbedBatchTokens"/> tokens each; a
    /// longer sentence is a run of its own.</summary>
    internal static IEnumerable<(int Start, int Count)> EmbedBatches(IReadOnlyList<int> lengths)
    {
        for (int start = 0; start < lengths.Count;)
        {
            int end = start, tokens = 0;
            while (end < lengths.Count && (end == start || tokens + lengths[end] <= EmbedBatchTokens)) tokens += lengths[end++];
            yield return (start, end - start);
            start = end;
        }
    }

    /// <summary>A sentence embedding of <paramref name="tokens"/>: the model's final normalised hidden states, mean-pooled and L2-normalised.</summary>
    public async Task<float[]> EmbedAsync(IReadOnlyList<int> tokens, CancellationToken cancellationToken = default)
    {
        if (tokens.Count == 0) throw new InvalidParameterException("input", "nothing to embed: the text has no tokens");
        if (tokens.Count > ContextLength)
            throw new InvalidParameterException("input", $"the text has {tokens.Count} tokens; the context holds {ContextLength}", "context_length_exceeded");
        CheckVocabulary(tokens, "input");
        return (await Enqueue([tokens], null, cancellationToken).ConfigureAwait(false))[0];
    }

    private Task<float[][]> Enqueue(IReadOnlyList<IReadOnlyList<int>> sentences, Wafer.Models.Architectures.BertModel? encoder, CancellationToken cancellationToken)
    {
        if (_stopping) throw Stopped();
        var result = new TaskCompletionSource<float[][]>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_commands.Writer.TryWrite(new EmbedCommand(sentences, result, encoder))) throw Stopped();
        return result.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Checks a request against the model and the context, and fills in what it leaves to the engine (max tokens).</summary>
    private GenerationRequest Validate(GenerationRequest request)
    {
        int prompt = request.PromptTokens.Count;
        int context = ContextLength;
        if (prompt == 0) throw new InvalidParameterException("prompt", "the prompt is empty");
        CheckVocabulary(request.PromptTokens, "prompt");
        if (prompt >= context)
            throw new InvalidParameterException("prompt", $"this model's context holds {context} tokens and the prompt has {prompt}, which leaves no room to generate. Shorten the prompt.", "context_length_exceeded");
        if (request.MaxTokens is int max)
        {
            if (max < 1) throw new InvalidParameterException("max_tokens", $"max_tokens must be ≥ 1, got {max}");
            if ((long)prompt + max > context)
                throw new InvalidParameterException("prompt", $"this model's context holds {context} tokens; the request has {prompt} prompt tokens and asks for {max} more. Shorten the prompt or lower max_tokens.", "context_length_exceeded");
        }
        if (request.TopLogprobs > 20) throw new InvalidParameterException("top_logprobs", $"top_logprobs must be in 0…20, got {request.TopLogprobs}");
        if (request.Speculation == Speculation.SpeculationMethod.Draft && _draft == null)
            throw new InvalidParameterException("speculative", "this engine has no draft model (start it with --draft FILE or self:Q4_0); n-gram speculation needs none");
        if (request.PredictionTokens != null) CheckVocabulary(request.PredictionTokens, "prediction");
        if (request.Quality == Adaptive.KvQuality.Fast && _adaptive == null)
            throw new InvalidParameterException("quality", $"quality \"fast\" needs a server started with --adaptive (this one stores every sequence at {_precisions[0].Name}); use \"auto\" or \"full\"");
        foreach (var stop in request.StopStrings)
            if (string.IsNullOrEmpty(stop)) throw new InvalidParameterException("stop", "stop strings must not be empty");
        request.Sampling.Validate();
        if (request.Sampling.LogitBias != null)
            foreach (int id in request.Sampling.LogitBias.Keys)
                if ((uint)id >= (uint)_model.Config.VocabSize) throw new InvalidParameterException("logit_bias", $"logit_bias names token {id}, outside the vocabulary (size {_model.Config.VocabSize})");
        // The vocabulary's trie is built once, on first use (~0.8 s for 152k tokens): here, on the caller's thread, not on the
        // engine thread where it would stall every running request.
        if (request.Grammar != null) TokenTrie.For(_tokenizer);
        return request.MaxTokens == null ? request with { MaxTokens = context - prompt } : request;
    }

    private void CheckVocabulary(IReadOnlyList<int> tokens, string parameter)
    {
        int vocab = _model.Config.VocabSize;
        foreach (int t in tokens)
            if ((uint)t >= (uint)vocab) throw new InvalidParameterException(parameter, $"token {t} is outside the vocabulary (size {vocab})");
    }

    private static EngineStoppedException Stopped() => new("the engine is shutting down and takes no new requests");

    private void Loop()
    {
        Exception ending = new EngineStoppedException("the engine stopped before this request finished");
        try
        {
            Run();
        }
        catch (Exception e)
        {
            // A bug outside a step (steps catch their own failures): fail everyone rather than leave them waiting.
            ending = e;
        }
        finally
        {
            _stopping = true;
            _commands.Writer.TryComplete();
            while (_commands.Reader.TryRead(out var command)) Reject(command, ending);
            FailAll(ending);
        }
    }

    private void Run()
    {
        var reader = _commands.Reader;
        while (true)
        {
            // Step 1: apply messages; sleep while there is nothing to do.
            if (!_scheduler.HasWork)
            {
                if (_stopWhenIdle) return;
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) return;
            }
            while (reader.TryRead(out var command)) Apply(command);
            PublishCounts();
            if (!_scheduler.HasWork) continue;

            // Step 2: schedule.
            var step = _scheduler.Schedule(_step);
            if (step.Preempted.Count > 0)
            {
                Metrics.Preemptions.Add(step.Preempted.Count);
                Interlocked.Add(ref _preemptions, step.Preempted.Count);
            }
            _stepPreempted = step.Preempted.Count > 0;
            if (step.IsEmpty) continue;
            RecordQueueTimes(step);

            // Step 3: forward pass and sampling.
            try
            {
                BeforeStep?.Invoke(step);
                long started = Stopwatch.GetTimestamp();
                _runner.Execute(step);
                _scheduler.StepCosts.Record(step.TokenCount, Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                FailAll(new EngineFailureException($"the forward pass failed: {e.Message}", e));
                continue;
            }

            // Step 4: apply results, decide who finished, deliver.
            var (tokens, counts, stride) = _runner.Generated(step.Chunks.Count);
            RecordSpeculation(step, counts.Span);
            _scheduler.Update(step, tokens.Span, counts.Span, stride, _updates);
            foreach (var update in _updates) Deliver(update);
            PublishCounts();
        }
    }

    private void Apply(EngineCommand command)
    {
        switch (command)
        {
            case SubmitCommand submit:
                Admit(submit);
                break;
            case CancelCommand cancel:
                if (_active.TryGetValue(cancel.Id, out var cancelled)) Finish(cancelled);
                break;
            case EmbedCommand embed:
                Embed(embed);
                break;
            case StopCommand stop:
                _stopWhenIdle = true;
                if (stop.CancelInFlight) FailAll(new EngineStoppedException("the engine shut down before this request finished"));
                break;
        }
    }

    private void Admit(SubmitCommand submit)
    {
        if (_stopWhenIdle)
        {
            submit.Stream.Fail(Stopped());
            return;
        }
        var request = new EngineRequest(submit.Id, submit.Request, submit.Id)
        {
            Sampler = SamplerChain.Create(submit.Request.Sampling),
            Constraint = submit.Request.Grammar is not { } grammar ? null
                : submit.Request.GrammarTrigger is { } trigger ? grammar.CreateLazyMatcher(TokenTrie.For(_tokenizer), trigger, submit.Request.GrammarTriggerStartsSentence)
                : grammar.CreateMatcher(TokenTrie.For(_tokenizer)),
        };
        foreach (int t in submit.Request.PromptTokens) request.Sampler.Accept(t);
        request.KvTier = _adaptive != null && Adaptive.AdaptivePolicy.Reduce(_pressure, submit.Request.Quality) ? 1 : 0;
        _heldByTier[request.KvTier]++;
        _promisedBlocks += PromisedBlocks(request);
        Metrics.CountAdmission(request.KvTier);
        _scheduler.Add(request);
        _active[submit.Id] = new ActiveRequest(request, submit.Stream, new OutputText(_tokenizer, submit.Request.StopStrings), submit.ArrivalTimestamp)
        {
            Trace = submit.Trace,
            TraceChunks = submit.Trace != null ? [] : null,
        };
        submit.Stream.Accept(_precisions[request.KvTier].Name);
    }

    private static void Reject(EngineCommand command, Exception error)
    {
        switch (command)
        {
            case SubmitCommand submit:
                submit.Stream.Fail(error);
                break;
            case EmbedCommand embed:
                embed.Result.TrySetException(error);
                break;
        }
    }

    /// <summary>Runs an embedding batch on the engine thread (between steps): the encoder's in one pass, or the served model's
    /// mean-pooled hidden states one sentence at a time on a scratch KV cache of its own.</summary>
    private void Embed(EmbedCommand job)
    {
        try
        {
            var vectors = job.Encoder is { } encoder
                ? encoder.EmbedBatch(job.Sentences.Select(t => t is int[] array ? array : [.. t]).ToList())
                : job.Sentences.Select(t => MeanPooledEmbedding.Compute(_model, t)).ToArray();
            Interlocked.Increment(ref _embedBatches);
            job.Result.TrySetResult(vectors);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            job.Result.TrySetException(e);
        }
    }

    private void RecordQueueTimes(SchedulerOutput step)
    {
        long now = Stopwatch.GetTimestamp();
        foreach (var chunk in step.Chunks)
        {
            if (!_active.TryGetValue(chunk.Request.Id, out var a)) continue;
            if (a.FirstScheduledTimestamp == 0)
            {
                a.FirstScheduledTimestamp = now;
                Metrics.QueueTime.Record(Stopwatch.GetElapsedTime(a.ArrivalTimestamp, now).TotalSeconds);
            }
            if (a.TraceChunks != null && a.FirstTokenTimestamp == 0) a.TraceChunks.Add((now, chunk.TokenCount));
        }
    }

    /// <summary>Counts each verification of drafts: tokens proposed, accepted, and the accepted length.</summary>
    private void RecordSpeculation(SchedulerOutput step, ReadOnlySpan<int> counts)
    {
        for (int k = 0; k < step.Chunks.Count; k++)
        {
            int drafts = step.Chunks[k].DraftCount;
            if (drafts == 0 || counts[k] == 0) continue;
            int accepted = _runner.Accepted(k);
            Metrics.SpecDraftTokens.Add(drafts);
            Metrics.SpecAcceptedTokens.Add(accepted);
            Metrics.SpecAcceptedLength.Record(accepted);
            Interlocked.Add(ref _specDrafted, drafts);
            Interlocked.Add(ref _specAccepted, accepted);
            Interlocked.Increment(ref _specVerifications);
        }
    }

    private void Deliver(RequestUpdate update)
    {
        var request = update.Request;
        if (!_active.TryGetValue(request.Id, out var active)) return;
        long now = Stopwatch.GetTimestamp();
        int output = request.OutputCount - update.Remaining; // this token's place (later tokens of its step are listed already)
        if (output == 1)
        {
            Metrics.TimeToFirstToken.Record(Stopwatch.GetElapsedTime(active.ArrivalTimestamp, now).TotalSeconds);
            active.FirstTokenTimestamp = now;
        }
        else Metrics.InterTokenLatency.Record(Stopwatch.GetElapsedTime(active.LastTokenTimestamp, now).TotalSeconds);
        active.LastTokenTimestamp = now;
        Metrics.GeneratedTokens.Add(1);

        bool endToken = _rules.IsEndToken(request, update.Token);
        string text = active.Text.Append(update.Token, silent: endToken);
        var logprobs = _runner.Logprobs(update.ChunkIndex);
        var reason = _rules.Decide(request, endToken, active.Text.Stopped, update.Remaining);
        if (reason == null)
        {
            active.Stream.Write(new TokenEvent(update.Token, text, logprobs));
            return;
        }
        text += active.Text.Finish();
        var usage = new GenerationUsage(request.PromptCount, output, request.CachedPromptCount)
        {
            StopString = active.Text.StopString,
            Speculative = (request.Spec.Speculation ?? _options.Scheduler.Speculation.Method) != Speculation.SpeculationMethod.None,
            AcceptedPredictionTokens = request.AcceptedTokens,
            RejectedPredictionTokens = request.DraftedTokens - request.AcceptedTokens,
            KvPrecision = _precisions[request.KvTier].Name,
        };
        Finish(active, new TokenEvent(update.Token, text, logprobs, reason, usage));
    }

    /// <summary>The single exit of a request: removes it from the scheduler and the engine, records its metrics and ends its
    /// stream: with <paramref name="last"/> (which carries the finish reason) when it finished normally, else with
    /// <paramref name="error"/>, or as cancelled when there is neither.</summary>
    private void Finish(ActiveRequest active, TokenEvent? last = null, Exception? error = null)
    {
        var request = active.Request;
        if (_active.Remove(request.Id))
        {
            _heldByTier[request.KvTier]--;
            _promisedBlocks -= PromisedBlocks(request);
        }
        _draft?.Release(request.Id);
        if (last?.FinishReason is FinishReason reason)
        {
            _scheduler.Finish(request.Id, reason);
            Metrics.PromptTokens.Add(request.PromptCount);
            Metrics.EndToEnd.Record(Stopwatch.GetElapsedTime(active.ArrivalTimestamp).TotalSeconds);
            if (active.Trace != null) Telemetry.EngineTracing.Finished(active, last.Value.Usage, reason, null);
            active.Stream.Complete(last.Value);
            return;
        }
        if (active.Trace != null) Telemetry.EngineTracing.Finished(active, null, null, error);
        _scheduler.Cancel(request.Id);
        if (error != null) active.Stream.Fail(error);
        else active.Stream.Cancelled();
    }

    private void FailAll(Exception error)
    {
        foreach (var active in _active.Values.ToArray()) Finish(active, error: error);
        PublishCounts();
    }

    /// <summary>Blocks a request holds once it has all its tokens (prompt + max tokens, within the context) at its tier.</summary>
    private long PromisedBlocks(EngineRequest request)
    {
        long tokens = Math.Min((long)request.PromptCount + request.MaxTokens, ContextLength);
        int size = _kv.BlockSizeOf(request.KvTier);
        return (tokens + size - 1) / size;
    }

    /// <summary>Publishes the counts other threads read, and re-decides the adaptive mode's pressure from the load now (after
    /// new requests were queued, and after each step's results: so the pressure also ends when the engine goes idle).</summary>
    private void PublishCounts()
    {
        if (_adaptive != null)
            _pressure = Adaptive.AdaptivePolicy.UnderPressure(_pressure,
                new Adaptive.LoadSignals((double)Math.Max(_kv.UsedBlocks, _promisedBlocks) / _kv.TotalBlocks, _scheduler.WaitingCount, _scheduler.KvRefused, _stepPreempted), _adaptive);
        _waiting = _scheduler.WaitingCount;
        _running = _scheduler.RunningCount;
        Interlocked.Exchange(ref _waitingTokens, _scheduler.WaitingTokenCount);
    }

    /// <summary>Stops accepting requests, lets those in flight finish for up to <paramref name="drain"/>, then cancels the rest and stops the engine thread.</summary>
    public async Task StopAsync(TimeSpan drain)
    {
        _stopping = true;
        if (!_thread.IsAlive) return;
        _commands.Writer.TryWrite(new StopCommand(CancelInFlight: false));
        if (!await Task.Run(() => _thread.Join(drain)).ConfigureAwait(false))
        {
            _commands.Writer.TryWrite(new StopCommand(CancelInFlight: true));
            await Task.Run(_thread.Join).ConfigureAwait(false);
        }
    }

    /// <summary>Stops at once (in-flight requests fail with <see cref="EngineStoppedException"/>) and frees the KV cache.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        _storage.Dispose();
        _draft?.Dispose();
        Metrics.Dispose();
    }
}
