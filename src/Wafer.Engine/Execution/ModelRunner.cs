using Wafer.Engine.Requests;
using Wafer.Engine.KvCache;
using Wafer.Engine.Scheduling;
using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Constraints;
using Wafer.Models.Evaluation;
using Wafer.Models.Inference;
using Wafer.Models.Sampling;

namespace Wafer.Engine.Execution;

/// <summary>Runs one scheduled step: builds the ragged batch, runs the forward pass over the paged KV cache,
/// and samples each request's next token with that request's own sampler.</summary>
/// <remarks>Every row of the forward pass is computed independently of the others in the batch, and each
/// request samples with its own seeded chain, so a request's tokens do not depend on who shares its batch. The rows of a
/// batch are sampled on the worker pool, one row per work item: a request's chain is touched by one thread at a time, and
/// sampling scratch is per thread. A step allocates nothing once its buffers have grown (logprobs, when asked, excepted).</remarks>
public sealed class ModelRunner : IRangeWork
{
    /// <summary>Samples a row under an optional grammar and records the token with the sampler (not the grammar). The
    /// grammar masks before sampling, so temperature, top-k/top-p and the draw see only the tokens it allows. Greedy decoding
    /// checks its choice first and masks only when the grammar refuses it: the same token either way (the best token overall,
    /// when allowed, is the best allowed one), without the vocabulary walk a grammar state's first mask costs.</summary>
    internal static int SampleConstrained(SamplerChain sampler, GrammarMatcher? constraint, Span<float> logits)
    {
        if (constraint is null || !constraint.IsActive) return sampler.Sample(logits);
        if (!sampler.IsGreedy)
        {
            constraint.Apply(logits);
            return sampler.Sample(logits);
        }
        int token = sampler.Choose(logits);
        if (!constraint.Allows(token))
        {
            constraint.Apply(logits);
            token = sampler.Choose(logits);
        }
        sampler.Accept(token);
        return token;
    }

    [ThreadStatic] private static float[]? t_logProbs; // [vocab] log-softmax of one row, for a request that asks for logprobs

    private readonly TransformerModel _model;
    private readonly KvCacheManager _kv;
    private readonly PagedKvStorage _storage;
    private readonly WorkerPool _pool;
    private readonly ForwardBatch _batch = new();
    private float[] _logits = [];
    private int[] _sampled = [];        // [chunks × stride] the tokens each chunk generated
    private int[] _counts = [];         // [chunks] how many
    private int[] _accepted = [];       // [chunks] of the chunk's drafts, how many were accepted
    private int _stride = 1;
    private TokenLogprobs?[] _logprobs = [];
    private int[] _samplingChunks = []; // [chunks that sample] their chunk index
    private int[] _firstRow = [];       // [chunks] the chunk's first logits row
    private SchedulerOutput _step = null!;

    public ModelRunner(TransformerModel model, KvCacheManager kv, PagedKvStorage storage)
    {
        _model = model;
        _kv = kv;
        _storage = storage;
        _pool = model.Pool;
    }

    /// <summary>True when a generated token ends its request by itself (an end token, a finished grammar): a run of accepted
    /// drafts stops there. Set by the engine; null = only max tokens and the context end runs (the scheduler sizes drafts so
    /// neither can be passed).</summary>
    internal Func<EngineRequest, int, bool>? EndsRun { get; set; }

    /// <summary>What the last <see cref="Execute"/> generated: chunk k's tokens are <c>Tokens[k·Stride …]</c>, <c>Counts[k]</c>
    /// of them (0 where the chunk samples nothing; more than one where accepted drafts were verified).</summary>
    public (ReadOnlyMemory<int> Tokens, ReadOnlyMemory<int> Counts, int Stride) Generated(int count) =>
        (_sampled.AsMemory(0, count * _stride), _counts.AsMemory(0, count), _stride);

    /// <summary>Of the last step's chunk <paramref name="index"/>'s drafts, how many were accepted.</summary>
    public int Accepted(int index) => _accepted[index];

    /// <summary>Logprobs of the last step's chunk <paramref name="index"/>, when its request asked for them.</summary>
    public TokenLogprobs? Logprobs(int index) => _logprobs[index];

    /// <summary>Computes the step and samples; results through <see cref="Generated"/> and <see cref="Logprobs"/>.</summary>
    public void Execute(SchedulerOutput step)
    {
        var chunks = step.Chunks;
        int vocab = _model.Config.VocabSize;
        int stride = 1;
        foreach (var chunk in chunks) stride = Math.Max(stride, chunk.DraftCount + 1);
        _stride = stride;
        if (_counts.Length < chunks.Count || _sampled.Length < chunks.Count * stride)
        {
            int capacity = Math.Max(chunks.Count * 2, _counts.Length);
            _sampled = new int[capacity * Math.Max(stride, 2)];
            _counts = new int[capacity];
            _accepted = new int[capacity];
            _logprobs = new TokenLogprobs?[capacity];
            _samplingChunks = new int[capacity];
            _firstRow = new int[capacity];
        }
        _batch.Clear();
        int rows = 0, sampling = 0;
        for (int k = 0; k < chunks.Count; k++)
        {
            var chunk = chunks[k];
            _sampled[k * stride] = -1;
            _counts[k] = 0;
            _accepted[k] = 0;
            _logprobs[k] = null;
            _firstRow[k] = rows;
            _storage.Bind(k, _kv.BlockTable(chunk.Request.Id), _kv.TierOf(chunk.Request.Id));
            var tokens = chunk.Request.Tokens;
            int drafts = chunk.DraftCount;
            int end = chunk.StartPosition + chunk.TokenCount - drafts;
            for (int p = chunk.StartPosition; p < end; p++)
                _batch.Add(tokens[p], p, k, chunk.SamplesToken && p == end - 1);
            // Drafts follow the last token; every one of their positions gives logits, to verify the draft before it.
            var draft = chunk.Request.Draft;
            for (int j = 0; j < drafts; j++) _batch.Add(draft[j], end + j, k, true);
            if (chunk.SamplesToken)
            {
                _samplingChunks[sampling++] = k;
                rows += 1 + drafts;
            }
        }
        if (_logits.Length < _batch.OutputCount * vocab) _logits = new float[_batch.OutputCount * vocab];
        _model.Forward(_batch, _storage, _logits);

        _step = step;
        _pool.For(sampling, 1, this);
        _step = null!;
    }

    /// <summary>Samples the chunks [start, end) of those that sample (a worker pool item each). A chunk with drafts is
    /// verified in order: position j's token is sampled as if no draft existed (same chain, same grammar, same random draws),
    /// and the run goes on while it equals draft j. Greedy output is therefore the same token for token as without drafts,
    /// and sampled output has the target's distribution and, seed for seed, the same text: each emitted token is an ordinary
    /// draw from the target given the tokens before it. (Standard speculative sampling accepts a draft d with probability
    /// min(1, p(d)/q(d)); for these deterministic drafts q is a point mass, the acceptance is p(d), and drawing from p then
    /// comparing is that test.)</summary>
    void IRangeWork.Run(int start, int end)
    {
        int vocab = _model.Config.VocabSize;
        for (int item = start; item < end; item++)
        {
            int k = _samplingChunks[item];
            var chunk = _step.Chunks[k];
            var request = chunk.Request;
            int row = _firstRow[k];
            int topCount = request.Spec.TopLogprobs;
            int drafts = chunk.DraftCount, accepted = 0, generated = 0;
            for (int j = 0; j <= drafts; j++)
            {
                var logits = _logits.AsSpan((row + j) * vocab, vocab);
                // Logprobs are of the model's distribution: the full log-softmax only when the request asks, from the logits
                // as the model produced them (requests that ask never draft).
                float[]? logProbs = null;
                if (topCount >= 0)
                {
                    if ((t_logProbs?.Length ?? 0) < vocab) t_logProbs = new float[vocab];
                    logProbs = t_logProbs!;
                    Softmax.LogSoftmax(logits, logProbs.AsSpan(0, vocab));
                }
                int token = SampleConstrained(request.Sampler!, request.Constraint, logits);
                request.Constraint?.Accept(token);
                _sampled[k * _stride + generated++] = token;
                if (logProbs != null) _logprobs[k] = new TokenLogprobs(logProbs[token], TeacherForcing.Top(logProbs.AsSpan(0, vocab), Math.Min(topCount, vocab)));
                if (j == drafts || token != request.Draft[j]) break;
                accepted++;
                if (EndsRun?.Invoke(request, token) == true) break;
            }
            _counts[k] = generated;
            _accepted[k] = accepted;
            if (drafts > 0)
            {
                request.DraftedTokens += drafts;
                request.AcceptedTokens += accepted;
            }
        }
    }
}
