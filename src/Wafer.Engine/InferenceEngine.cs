using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Wafer.Engine.Execution;
using Wafer.Engine.KvCache;
using Wafer.Engine.Metrics;
using Wafer.Engine.Requests;
using Wafer.Engine.Scheduling;
using Wafer.Models.Architectures;
using Wafer.Models.Sampling;
using Wafer.Models.Tokenization;

namespace Wafer.Engine;

/// <summary>Serves many generations at once from one model: continuous batching over a paged, prefix-sharing KV cache.</summary>
/// <remarks>
/// The model, KV cache and scheduler belong to one engine thread. Callers talk to it through channels:
/// <see cref="GenerateAsync"/> posts a request and reads that request's token events.
/// Each loop turn: Step 1 applies new requests and cancellations; Step 2 schedules; Step 3 runs the forward
/// pass and samples; Step 4 applies the results, turns tokens into text and delivers the events.
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
    private readonly Channel<Command> _commands = Channel.CreateUnbounded<Command>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<long, ActiveRequest> _active = [];
    private readonly Thread _thread;
    private long _nextId;
    private volatile int _waiting;
    private volatile int _running;
    private long _waitingTokens;
    private volatile bool _stopping;
    private long _preemptions;

    /// <summary>Starts an engine over a loaded model.</summary>
    public InferenceEngine(TransformerModel model, Tokenizer tokenizer, EngineOptions options)
    {
        _model = model;
        _tokenizer = tokenizer;
        _options = options.Validate();
        if (options.Scheduler.ContextLength > model.Config.ContextLength)
            throw new ArgumentException($"context length {options.Scheduler.ContextLength} exceeds the model's {model.Config.ContextLength}");
        int blocks = KvCacheSizing.BlockCount(model.Config, options, KvCacheSizing.AvailableMemoryBytes());
        _kv = new KvCacheManager(blocks, options.BlockSize, options.PrefixCaching);
        _storage = new PagedKvStorage(model.Config, blocks, options.BlockSize);
        _scheduler = new Scheduler(options.Scheduler, _kv, tokenizer.IsEndOfGeneration);
        _runner = new ModelRunner(model, _kv, _storage);
        Metrics = new EngineMetrics(() => _waiting, () => _running, () => _kv.UsedBlocks, () => _kv.TotalBlocks,
            () => _kv.PrefixQueryTokens, () => _kv.PrefixHitTokens);
        _thread = new Thread(Loop) { IsBackground = true, Name = "wafer-engine" };
        _thread.Start();
    }

    /// <summary>The model served.</summary>
    public TransformerModel Model => _model;

    /// <summary>The model's tokenizer.</summary>
    public Tokenizer Tokenizer => _tokenizer;

    /// <summary>The options in force.</summary>
    public EngineOptions Options => _options;

    /// <summary>The engine's metric instruments.</summary>
    public EngineMetrics Metrics { get; }

    /// <summary>KV cache capacity in tokens.</summary>
    public long KvCapacityTokens => (long)_kv.TotalBlocks * _kv.BlockSize;

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

    /// <summary>Prefix-cache lookups and hits, in prompt tokens.</summary>
    public (long QueryTokens, long HitTokens) PrefixCacheStats => (_kv.PrefixQueryTokens, _kv.PrefixHitTokens);

    /// <summary>KV blocks held and in all.</summary>
    public (int Used, int Total) KvBlocks => (_kv.UsedBlocks, _kv.TotalBlocks);

    /// <summary>Generates a continuation of <paramref name="request"/>'s prompt, one event per token; the last event has a finish reason.
    /// Cancelling <paramref name="cancellationToken"/> (or abandoning the enumeration) removes the request at the next step.</summary>
    public async IAsyncEnumerable<TokenEvent> GenerateAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_stopping) throw new ObjectDisposedException(nameof(InferenceEngine), "the engine is shutting down");
        Validate(request);
        var events = Channel.CreateUnbounded<TokenEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        long id = Interlocked.Increment(ref _nextId);
        if (!_commands.Writer.TryWrite(new Command(id, request, events.Writer, Stopwatch.GetTimestamp())))
            throw new ObjectDisposedException(nameof(InferenceEngine), "the engine is shut down");
        bool finished = false;
        using var registration = cancellationToken.Register(() => _commands.Writer.TryWrite(new Command(id, null, null, 0)));
        try
        {
            await foreach (var e in events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                finished = e.FinishReason != null;
                yield return e;
            }
        }
        finally
        {
            if (!finished) _commands.Writer.TryWrite(new Command(id, null, null, 0));
        }
    }

    private void Validate(GenerationRequest request)
    {
        int vocab = _model.Config.VocabSize;
        if (request.PromptTokens.Count == 0) throw new ArgumentException("the prompt is empty");
        foreach (int t in request.PromptTokens)
            if ((uint)t >= (uint)vocab) throw new ArgumentException($"prompt token {t} is outside the vocabulary (size {vocab})");
        if (request.PromptTokens.Count >= _options.Scheduler.ContextLength)
            throw new ArgumentException($"the prompt has {request.PromptTokens.Count} tokens; the context holds {_options.Scheduler.ContextLength}");
        if (request.MaxTokens < 1) throw new ArgumentException($"max tokens must be ≥ 1, got {request.MaxTokens}");
        request.Sampling.Validate();
    }

    private void Loop()
    {
        var reader = _commands.Reader;
        while (true)
        {
            // Step 1: new requests and cancellations; sleep while there is nothing to do.
            if (!_scheduler.HasWork && !reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) break;
            while (reader.TryRead(out var command)) Apply(command);
            PublishCounts();
            if (!_scheduler.HasWork)
            {
                if (_stopping) break;
                continue;
            }

            // Step 2: schedule.
            var step = _scheduler.Schedule();
            if (step.Preempted.Count > 0)
            {
                Metrics.Preemptions.Add(step.Preempted.Count);
                Interlocked.Add(ref _preemptions, step.Preempted.Count);
            }
            if (step.IsEmpty) continue;
            long now = Stopwatch.GetTimestamp();
            foreach (var chunk in step.Chunks)
                if (_active.TryGetValue(chunk.Request.Id, out var a) && a.FirstScheduledTimestamp == 0)
                {
                    a.FirstScheduledTimestamp = now;
                    Metrics.QueueTime.Record(Stopwatch.GetElapsedTime(a.ArrivalTimestamp, now).TotalSeconds);
                }

            // Step 3: forward pass and sampling.
            try
            {
                _runner.Execute(step);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                FailAll(e);
                continue;
            }

            // Step 4: apply results and deliver.
            var updates = _scheduler.Update(step, _runner.SampledTokens(step.Chunks.Count));
            for (int k = 0, u = 0; k < step.Chunks.Count && u < updates.Count; k++)
            {
                if (!step.Chunks[k].SamplesToken || updates[u].Request != step.Chunks[k].Request) continue;
                Deliver(updates[u++], _runner.Logprobs(k));
            }
            PublishCounts();
        }
        FailAll(new ObjectDisposedException(nameof(InferenceEngine), "the engine shut down"));
    }

    private void Apply(Command command)
    {
        if (command.Embed != null)
        {
            Embed(command.Embed);
            return;
        }
        if (command.Id == CancelAllId)
        {
            FailAll(new OperationCanceledException("the engine shut down before this request finished"));
            return;
        }
        if (command.Request == null)
        {
            if (_active.Remove(command.Id, out var cancelled))
            {
                _scheduler.Cancel(command.Id);
                cancelled.Events.TryComplete();
            }
            return;
        }
        var request = new EngineRequest(command.Id, command.Request, command.Id)
        {
            Sampler = SamplerChain.Create(command.Request.Sampling),
        };
        foreach (int t in command.Request.PromptTokens) request.Sampler.Accept(t);
        try
        {
            _scheduler.Add(request);
        }
        catch (ArgumentException e)
        {
            command.Events!.TryComplete(e);
            return;
        }
        _active[command.Id] = new ActiveRequest(request, command.Events!, new OutputText(_tokenizer, command.Request.StopStrings), command.ArrivalTimestamp);
    }

    /// <summary>Runs an embedding on the engine thread (between steps), on a scratch KV cache of its own.</summary>
    private void Embed(EmbeddingJob job)
    {
        try
        {
            job.Result.TrySetResult(MeanPooledEmbedding.Compute(_model, job.Tokens));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            job.Result.TrySetException(e);
        }
    }

    /// <summary>A sentence embedding of <paramref name="tokens"/>: the model's final normalised hidden states, mean-pooled and L2-normalised.</summary>
    public Task<float[]> EmbedAsync(IReadOnlyList<int> tokens, CancellationToken cancellationToken = default)
    {
        if (_stopping) throw new ObjectDisposedException(nameof(InferenceEngine), "the engine is shutting down");
        if (tokens.Count == 0) throw new ArgumentException("nothing to embed: the text has no tokens");
        if (tokens.Count > _options.Scheduler.ContextLength)
            throw new ArgumentException($"the text has {tokens.Count} tokens; the context holds {_options.Scheduler.ContextLength}");
        foreach (int t in tokens)
            if ((uint)t >= (uint)_model.Config.VocabSize) throw new ArgumentException($"token {t} is outside the vocabulary (size {_model.Config.VocabSize})");
        var result = new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_commands.Writer.TryWrite(new Command(0, null, null, 0) { Embed = new EmbeddingJob(tokens, result) }))
            throw new ObjectDisposedException(nameof(InferenceEngine), "the engine is shut down");
        return result.Task.WaitAsync(cancellationToken);
    }

    private void Deliver(RequestUpdate update, TokenLogprobs? logprobs)
    {
        var request = update.Request;
        if (!_active.TryGetValue(request.Id, out var active)) return;
        long now = Stopwatch.GetTimestamp();
        if (request.OutputCount == 1) Metrics.TimeToFirstToken.Record(Stopwatch.GetElapsedTime(active.ArrivalTimestamp, now).TotalSeconds);
        else Metrics.InterTokenLatency.Record(Stopwatch.GetElapsedTime(active.LastTokenTimestamp, now).TotalSeconds);
        active.LastTokenTimestamp = now;
        Metrics.GeneratedTokens.Add(1);

        bool silent = update.Finished == FinishReason.Stop;
        string text = active.Text.Append(update.Token, silent);
        var finish = update.Finished;
        if (finish == null && active.Text.Stopped)
        {
            finish = FinishReason.Stop;
            _scheduler.Finish(request.Id, FinishReason.Stop);
        }
        if (finish == null)
        {
            active.Events.TryWrite(new TokenEvent(update.Token, text, logprobs));
            return;
        }
        text += active.Text.Finish();
        var usage = new GenerationUsage(request.PromptCount, request.OutputCount, request.CachedPromptCount);
        active.Events.TryWrite(new TokenEvent(update.Token, text, logprobs, finish, usage));
        active.Events.TryComplete();
        _active.Remove(request.Id);
        Metrics.PromptTokens.Add(request.PromptCount);
        Metrics.EndToEnd.Record(Stopwatch.GetElapsedTime(active.ArrivalTimestamp, now).TotalSeconds);
    }

    private void FailAll(Exception error)
    {
        foreach (var (id, active) in _active)
        {
            _scheduler.Cancel(id);
            active.Events.TryComplete(error);
        }
        _active.Clear();
        PublishCounts();
    }

    private void PublishCounts()
    {
        _waiting = _scheduler.WaitingCount;
        _running = _scheduler.RunningCount;
        Interlocked.Exchange(ref _waitingTokens, _scheduler.WaitingTokenCount);
    }

    /// <summary>Stops accepting requests, lets those in flight finish for up to <paramref name="drain"/>, then cancels the rest and stops the engine thread.</summary>
    public async Task StopAsync(TimeSpan drain)
    {
        if (!_thread.IsAlive) return;
        _stopping = true;
        _commands.Writer.TryWrite(new Command(WakeId, null, null, 0));
        var finished = Task.Run(() => _thread.Join(drain));
        if (!await finished.ConfigureAwait(false))
        {
            _commands.Writer.TryWrite(new Command(CancelAllId, null, null, 0));
            await Task.Run(_thread.Join).ConfigureAwait(false);
        }
        _commands.Writer.TryComplete();
    }

    /// <summary>Stops at once (in-flight requests are cancelled) and frees the KV cache.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        _storage.Dispose();
        Metrics.Dispose();
    }

    private const long WakeId = -1;
    private const long CancelAllId = -2;

    /// <summary>A message to the engine thread: a new request, a cancellation (Request null), or an embedding (Embed set).</summary>
    private sealed record Command(long Id, GenerationRequest? Request, ChannelWriter<TokenEvent>? Events, long ArrivalTimestamp)
    {
        public EmbeddingJob? Embed { get; init; }
    }

    /// <summary>Tokens to embed and where the vector goes.</summary>
    private sealed record EmbeddingJob(IReadOnlyList<int> Tokens, TaskCompletionSource<float[]> Result);
}
