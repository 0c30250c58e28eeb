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
    private int[] _sampled = [];
    private TokenLogprobs?[] _logprobs = [];
    private int[] _rowChunk = [];       // [rows] the chunk each logits row belongs to
    private SchedulerOutput _step = null!;

    public ModelRunner(TransformerModel model, KvCacheManager kv, PagedKvStorage storage)
    {
        _model = model;
        _kv = kv;
        _storage = storage;
        _pool = model.Pool;
    }

    /// <summary>Tokens sampled in the last <see cref="Execute"/>, one per chunk (−1 where the chunk samples nothing).</summary>
    public ReadOnlySpan<int> SampledTokens(int count) => _sampled.AsSpan(0, count);

    /// <summary>Logprobs of the last step's chunk <paramref name="index"/>, when its request asked for them.</summary>
    public TokenLogprobs? Logprobs(int index) => _logprobs[index];

    /// <summary>Computes the step and samples; results through <see cref="SampledTokens"/> and <see cref="Logprobs"/>.</summary>
    public void Execute(SchedulerOutput step)
    {
        var chunks = step.Chunks;
        int vocab = _model.Config.VocabSize;
        if (_sampled.Length < chunks.Count)
        {
            _sampled = new int[chunks.Count * 2];
            _logprobs = new TokenLogprobs?[chunks.Count * 2];
            _rowChunk = new int[chunks.Count * 2];
        }
        _batch.Clear();
        int rows = 0;
        for (int k = 0; k < chunks.Count; k++)
        {
            var chunk = chunks[k];
            _sampled[k] = -1;
            _logprobs[k] = null;
            _storage.Bind(k, _kv.BlockTable(chunk.Request.Id));
            var tokens = chunk.Request.Tokens;
            int end = chunk.StartPosition + chunk.TokenCount;
            for (int p = chunk.StartPosition; p < end; p++)
                _batch.Add(tokens[p], p, k, chunk.SamplesToken && p == end - 1);
            if (chunk.SamplesToken) _rowChunk[rows++] = k;
        }
        if (_logits.Length < _batch.OutputCount * vocab) _logits = new float[_batch.OutputCount * vocab];
        _model.Forward(_batch, _storage, _logits);

        _step = step;
        _pool.For(rows, 1, this);
        _step = null!;
    }

    /// <summary>Samples logits rows [start, end) (a worker pool item each).</summary>
    void IRangeWork.Run(int start, int end)
    {
        int vocab = _model.Config.VocabSize;
        for (int row = start; row < end; row++)
        {
            int k = _rowChunk[row];
            var request = _step.Chunks[k].Request;
            var logits = _logits.AsSpan(row * vocab, vocab);
            int topCount = request.Spec.TopLogprobs;
            // Logprobs are of the model's distribution: the full log-softmax only when the request asks, from the logits as the
            // model produced them (the sampler reads them and writes its bias and penalties into scratch of its own).
            float[]? logProbs = null;
            if (topCount >= 0)
            {
                if ((t_logProbs?.Length ?? 0) < vocab) t_logProbs = new float[vocab];
                logProbs = t_logProbs!;
                Softmax.LogSoftmax(logits, logProbs.AsSpan(0, vocab));
            }
            int token = SampleConstrained(request.Sampler!, request.Constraint, logits);
            request.Constraint?.Accept(token);
            _sampled[k] = token;
            if (logProbs != null) _logprobs[k] = new TokenLogprobs(logProbs[token], TeacherForcing.Top(logProbs.AsSpan(0, vocab), Math.Min(topCount, vocab)));
        }
    }
}
