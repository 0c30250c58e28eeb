using Wafer.Engine.KvCache;
using Wafer.Engine.Requests;
using Wafer.Engine.Speculation;

namespace Wafer.Engine.Scheduling;

/// <summary>Continuous batching as a synchronous state machine: <see cref="Schedule"/> picks the work of one step,
/// <see cref="Update"/> applies its results. No model, no threads: tests drive it directly.</summary>
/// <remarks>
/// Each step fills a token budget. Step 1: running requests first (one decode token each, or the next chunk
/// of a prompt still being prefilled), preempting the lowest-priority, newest request when blocks run out.
/// Step 2: waiting requests in priority order (their cached prefix attached first), in chunks that fit the
/// remaining budget — so a long prompt never stalls everyone's next token. There is no prefill or decode
/// "phase": a request simply moves its computed-token count toward its token count.
/// </remarks>
public sealed class Scheduler
{
    private readonly SchedulerOptions _options;
    private readonly KvCacheManager _kv;
    private readonly SortedSet<EngineRequest> _waiting = new(WaitingOrder.Instance);
    private readonly List<EngineRequest> _running = [];
    private readonly Dictionary<long, EngineRequest> _byId = [];

    private readonly DraftModel? _draftModel;
    private readonly List<EngineRequest> _drafting = [];   // this step's requests waiting for the draft model
    private readonly List<int> _draftCounts = [];

    /// <summary>Creates a scheduler over <paramref name="kv"/> (the options' context length must be resolved: ≥ 2), with the
    /// draft model that proposes for <see cref="SpeculationMethod.Draft"/>, when there is one.</summary>
    public Scheduler(SchedulerOptions options, KvCacheManager kv, DraftModel? draftModel = null)
    {
        _draftModel = draftModel;
        _options = options.Validate();
        if (options.ContextLength < 2) throw new ArgumentException($"the scheduler needs a resolved context length ≥ 2, got {options.ContextLength}");
        _kv = kv;
        if ((long)kv.TotalBlocks * kv.BlockSize < options.ContextLength)
            throw new ArgumentException($"the KV cache holds {(long)kv.TotalBlocks * kv.BlockSize} tokens, less than one context of {options.ContextLength}; give it more memory or lower the context length");
    }

    /// <summary>The measured cost of a step by its size, which the speculation policy weighs drafts against (the engine records
    /// every step into it).</summary>
    public StepCostModel StepCosts { get; } = new();

    public int WaitingCount => _waiting.Count;

    public int RunningCount => _running.Count;

    /// <summary>Requests the scheduler holds (waiting or running).</summary>
    public int RequestCount => _byId.Count;

    /// <summary>True when the last step left a waiting request out for lack of KV blocks (a signal of <c>--adaptive</c>).</summary>
    public bool KvRefused { get; private set; }

    /// <summary>Prompt tokens of waiting requests not yet computed.</summary>
    public long WaitingTokenCount { get; private set; }

    /// <summary>True when some request is waiting or running.</summary>
    public bool HasWork => _byId.Count > 0;

    /// <summary>Queues a request the engine has validated (a non-empty prompt shorter than the context).</summary>
    public void Add(EngineRequest request)
    {
        if (request.Tokens.Count == 0 || request.Tokens.Count >= _options.ContextLength)
            throw new InvalidOperationException($"request {request.Id} has {request.Tokens.Count} tokens, outside 1…{_options.ContextLength - 1}: the engine validates prompts before they reach the scheduler");
        if (!_byId.TryAdd(request.Id, request)) throw new InvalidOperationException($"request {request.Id} is already scheduled");
        request.Status = RequestStatus.Waiting;
        AddWaiting(request);
    }

    /// <summary>Removes a request wherever it is and frees its blocks; false when unknown (e.g. already finished).</summary>
    public bool Cancel(long requestId) => Finish(requestId, FinishReason.Cancelled, RequestStatus.Cancelled);

    /// <summary>Ends a request for the reason the engine decided (see <c>FinishRules</c>) and frees its blocks.</summary>
    public bool Finish(long requestId, FinishReason reason) => Finish(requestId, reason, RequestStatus.Finished);

    /// <summary>Picks this step's work.</summary>
    public SchedulerOutput Schedule() => Schedule(new SchedulerOutput());

    /// <summary>Picks this step's work into <paramref name="output"/>, which is cleared first (the engine reuses one).</summary>
    public SchedulerOutput Schedule(SchedulerOutput output)
    {
        output.Clear();
        KvRefused = false;
        int budget = _options.MaxBatchTokens;
        ScheduleRunning(output, ref budget);
        if (output.Preempted.Count == 0) ScheduleWaiting(output, ref budget);
        output.TokenCount = _options.MaxBatchTokens - budget;
        return output;
    }

    private void ScheduleRunning(SchedulerOutput output, ref int budget)
    {
        int decodeRows = 0;
        foreach (var r in _running)
            if (r.ComputedCount == r.Tokens.Count - 1) decodeRows++;
        for (int i = 0; i < _running.Count && budget > 0; i++)
        {
            var request = _running[i];
            request.DraftCount = 0;
            int count = ChunkSize(request, budget);
            if (count == 1 && request.ComputedCount == request.Tokens.Count - 1)
            {
                request.DraftCount = Draft(request, decodeRows, budget - 1);
                count += request.DraftCount;
            }
            bool scheduled = true;
            while (!_kv.TryAllocate(request.Id, request.ComputedCount + count))
            {
                var victim = PickVictim();
                int victimIndex = _running.IndexOf(victim);
                budget += Unschedule(output, victim);
                Preempt(victim, output);
                if (victimIndex < i) i--;
                if (victim == request)
                {
                    scheduled = false;
                    i--;
                    break;
                }
            }
            if (!scheduled) continue;
            Emit(output, request, count);
            budget -= count;
        }
        if (_drafting.Count > 0) ProposeWithDraftModel(output, ref budget);
    }

    /// <summary>Runs the draft model for this step's drafting requests at once (batched rounds), then shrinks the chunks of
    /// those it could not draft for.</summary>
    private void ProposeWithDraftModel(SchedulerOutput output, ref int budget)
    {
        for (int i = _drafting.Count - 1; i >= 0; i--)
            if (_drafting[i].Status != RequestStatus.Running || _drafting[i].DraftCount == 0) // preempted after it was scheduled
            {
                _drafting.RemoveAt(i);
                _draftCounts.RemoveAt(i);
            }
        _draftModel!.Propose(_drafting, _draftCounts);
        for (int i = 0; i < _drafting.Count; i++)
        {
            var request = _drafting[i];
            int proposed = _draftCounts[i];
            if (proposed == request.DraftCount) continue;
            int index = output.Chunks.FindIndex(c => c.Request == request);
            var chunk = output.Chunks[index];
            budget += request.DraftCount - proposed;
            request.DraftCount = proposed;
            output.Chunks[index] = chunk with { TokenCount = 1 + proposed, DraftCount = proposed };
        }
        _drafting.Clear();
        _draftCounts.Clear();
    }

    /// <summary>This step's draft tokens for a decoding request: as many as <see cref="SpeculationPolicy"/> allows, within
    /// what its max tokens, the context and <paramref name="room"/> leave, and only where their KV blocks are free
    /// (speculation never preempts anyone). N-gram drafts are proposed here; draft-model ones once the step's chunks are
    /// known (<see cref="ProposeWithDraftModel"/>), all sequences together.</summary>
    private int Draft(EngineRequest request, int decodeRows, int room)
    {
        var options = _options.Speculation;
        var method = request.Spec.Speculation ?? options.Method;
        // No draft model, no draft-model drafts (the engine refuses such requests before they get here).
        if (method == SpeculationMethod.None || request.Spec.TopLogprobs >= 0 || (method == SpeculationMethod.Draft && _draftModel == null)) return 0;
        int limit = Math.Min(Math.Min(options.MaxDraftTokens, room), Math.Min(request.MaxTokens - request.OutputCount, _options.ContextLength - request.Tokens.Count) - 1);
        int k = Math.Min(limit, SpeculationPolicy.DraftLength(options.MaxDraftTokens, options.SaturationRows, request.DraftedTokens, request.AcceptedTokens,
            decodeRows, options.MeasuredCost ? StepCosts.MarginalShare(decodeRows) : null, predicted: !request.Prediction.IsEmpty));
        if (k <= 0 || !_kv.TryAllocate(request.Id, request.ComputedCount + 1 + k)) return 0;
        if (request.Draft.Length < options.MaxDraftTokens) request.Draft = new int[options.MaxDraftTokens];
        if (method == SpeculationMethod.Ngram)
            return NgramProposer.Propose(request.TokenSpan, request.Prediction, options.NgramMin, options.NgramMax, request.Draft.AsSpan(0, k));
        _drafting.Add(request);
        _draftCounts.Add(k);
        return k;
    }

    private void ScheduleWaiting(SchedulerOutput output, ref int budget)
    {
        while (_waiting.Count > 0 && budget > 0 && _running.Count < _options.MaxSequences)
        {
            var request = _waiting.Min!;
            if (request.ComputedCount == 0)
            {
                request.ComputedCount = _kv.AttachCachedPrefix(request.Id, request.TokenSpan, request.KvTier);
                if (request.PreemptionCount == 0) request.CachedPromptCount = request.ComputedCount;
            }
            int count = ChunkSize(request, budget);
            if (!_kv.TryAllocate(request.Id, request.ComputedCount + count))
            {
                // Do not hold cached blocks while waiting: others may need them.
                _kv.Free(request.Id);
                request.ComputedCount = 0;
                KvRefused = true;
                break;
            }
            RemoveWaiting(request);
            request.Status = RequestStatus.Running;
            _running.Add(request);
            Emit(output, request, count);
            budget -= count;
        }
    }

    /// <summary>Tokens to compute for a request this step: what it lacks, within the budget and the long-prefill chunk.</summary>
    private int ChunkSize(EngineRequest request, int budget)
    {
        int count = Math.Min(request.Tokens.Count - request.ComputedCount, budget);
        return _options.LongPrefillChunk > 0 ? Math.Min(count, _options.LongPrefillChunk) : count;
    }

    private static void Emit(SchedulerOutput output, EngineRequest request, int count) =>
        output.Chunks.Add(new ScheduledChunk(request, request.ComputedCount, count,
            request.ComputedCount + count - request.DraftCount == request.Tokens.Count, request.DraftCount));

    /// <summary>The running request to give up first: lowest priority, then newest.</summary>
    private EngineRequest PickVictim()
    {
        var victim = _running[0];
        foreach (var r in _running)
            if (r.Priority > victim.Priority || (r.Priority == victim.Priority && r.ArrivalOrder > victim.ArrivalOrder)) victim = r;
        return victim;
    }

    private static int Unschedule(SchedulerOutput output, EngineRequest request)
    {
        int index = output.Chunks.FindIndex(c => c.Request == request);
        if (index < 0) return 0;
        int count = output.Chunks[index].TokenCount;
        output.Chunks.RemoveAt(index);
        return count;
    }

    private void Preempt(EngineRequest request, SchedulerOutput output)
    {
        request.DraftCount = 0;
        _running.Remove(request);
        _kv.Free(request.Id);
        request.ComputedCount = 0;
        request.PreemptionCount++;
        request.Status = RequestStatus.Preempted;
        AddWaiting(request);
        output.Preempted.Add(request);
    }

    /// <summary>Applies a step's results: advances computed counts, registers full blocks and appends sampled tokens
    /// (<paramref name="sampledTokens"/>[k] for chunk k, ignored where the chunk samples nothing). Whether a request is then
    /// finished is the engine's decision, not the scheduler's: it calls <see cref="Finish(long, FinishReason)"/>.</summary>
    public List<RequestUpdate> Update(SchedulerOutput output, ReadOnlySpan<int> sampledTokens)
    {
        var updates = new List<RequestUpdate>(output.Chunks.Count);
        Update(output, sampledTokens, updates);
        return updates;
    }

    /// <summary><see cref="Update(SchedulerOutput, ReadOnlySpan{int})"/> into <paramref name="updates"/>, which is cleared first.</summary>
    public void Update(SchedulerOutput output, ReadOnlySpan<int> sampledTokens, List<RequestUpdate> updates) =>
        Update(output, sampledTokens, [], 1, updates);

    /// <summary>Applies a step whose chunks may have generated several tokens each (speculative decoding): chunk k's tokens
    /// are <paramref name="sampled"/>[k·<paramref name="stride"/> …] and <paramref name="counts"/>[k] of them are valid (one
    /// when <paramref name="counts"/> is empty). For a chunk with drafts, the generated tokens are the accepted drafts and
    /// the target's next token: the cache keeps the positions of the accepted drafts only (a rejected draft's keys and
    /// values are overwritten when that position is computed again, and never reach the prefix cache, which registers
    /// computed tokens of the request's own list).</summary>
    public void Update(SchedulerOutput output, ReadOnlySpan<int> sampled, ReadOnlySpan<int> counts, int stride, List<RequestUpdate> updates)
    {
        updates.Clear();
        for (int k = 0; k < output.Chunks.Count; k++)
        {
            var chunk = output.Chunks[k];
            var request = chunk.Request;
            if (request.Status != RequestStatus.Running) continue;
            int generated = chunk.SamplesToken ? counts.IsEmpty ? 1 : counts[k] : 0;
            request.ComputedCount = chunk.DraftCount > 0 ? chunk.StartPosition + generated : chunk.StartPosition + chunk.TokenCount;
            for (int j = 0; j < generated; j++) request.Append(sampled[k * stride + j]);
            _kv.RegisterFullBlocks(request.Id, request.TokenSpan, request.ComputedCount);
            for (int j = 0; j < generated; j++) updates.Add(new RequestUpdate(request, sampled[k * stride + j], k, generated - 1 - j));
            request.DraftCount = 0;
        }
    }

    private bool Finish(long requestId, FinishReason reason, RequestStatus status)
    {
        if (!_byId.Remove(requestId, out var request)) return false;
        if (!_running.Remove(request)) RemoveWaiting(request);
        _kv.Free(request.Id);
        request.Status = status;
        request.FinishReason = reason;
        return true;
    }

    private void AddWaiting(EngineRequest request)
    {
        _waiting.Add(request);
        WaitingTokenCount += request.Tokens.Count;
    }

    private void RemoveWaiting(EngineRequest request)
    {
        if (_waiting.Remove(request)) WaitingTokenCount -= request.Tokens.Count;
    }

    /// <summary>Priority class first, then arrival.</summary>
    private sealed class WaitingOrder : IComparer<EngineRequest>
    {
        public static readonly WaitingOrder Instance = new();

        public int Compare(EngineRequest? a, EngineRequest? b)
        {
            int c = a!.Priority.CompareTo(b!.Priority);
            if (c != 0) return c;
            c = a.ArrivalOrder.CompareTo(b.ArrivalOrder);
            return c != 0 ? c : a.Id.CompareTo(b.Id);
        }
    }
}
