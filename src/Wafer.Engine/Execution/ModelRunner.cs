using Wafer.Engine.KvCache;
using Wafer.Engine.Scheduling;
using Wafer.Kernels.Ops;
using Wafer.Models.Architectures;
using Wafer.Models.Evaluation;
using Wafer.Models.Inference;

namespace Wafer.Engine.Execution;

/// <summary>Runs one scheduled step: builds the ragged batch, runs the forward pass over the paged KV cache,
/// and samples each request's next token with that request's own sampler.</summary>
/// <remarks>Every row of the forward pass is computed independently of the others in the batch, and each
/// request samples with its own seeded chain, so a request's tokens do not depend on who shares its batch.</remarks>
public sealed class ModelRunner
{
    private readonly TransformerModel _model;
    private readonly KvCacheManager _kv;
    private readonly PagedKvStorage _storage;
    private readonly ForwardBatch _batch = new();
    private float[] _logits = [];
    private readonly float[] _logProbs;
    private int[] _sampled = [];
    private TokenLogprobs?[] _logprobs = [];

    public ModelRunner(TransformerModel model, KvCacheManager kv, PagedKvStorage storage)
    {
        _model = model;
        _kv = kv;
        _storage = storage;
        _logProbs = new float[model.Config.VocabSize];
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
        }
        _batch.Clear();
        for (int k = 0; k < chunks.Count; k++)
        {
            var chunk = chunks[k];
            _storage.Bind(k, _kv.BlockTable(chunk.Request.Id));
            var tokens = chunk.Request.Tokens;
            int end = chunk.StartPosition + chunk.TokenCount;
            for (int p = chunk.StartPosition; p < end; p++)
                _batch.Add(tokens[p], p, k, chunk.SamplesToken && p == end - 1);
        }
        if (_logits.Length < _batch.OutputCount * vocab) _logits = new float[_batch.OutputCount * vocab];
        _model.Forward(_batch, _storage, _logits);

        int row = 0;
        for (int k = 0; k < chunks.Count; k++)
        {
            _sampled[k] = -1;
            _logprobs[k] = null;
            var chunk = chunks[k];
            if (!chunk.SamplesToken) continue;
            var logits = _logits.AsSpan(row++ * vocab, vocab);
            int topCount = chunk.Request.Spec.TopLogprobs;
            // Logprobs are of the model's distribution: the full log-softmax only when the request asks, from the logits as the
            // model produced them (the sampler reads them and writes its bias and penalties into a copy of its own).
            if (topCount >= 0) Softmax.LogSoftmax(logits, _logProbs);
            int token = chunk.Request.Sampler!.Sample(logits);
            _sampled[k] = token;
            if (topCount >= 0) _logprobs[k] = new TokenLogprobs(_logProbs[token], TeacherForcing.Top(_logProbs, Math.Min(topCount, vocab)));
        }
    }
}
