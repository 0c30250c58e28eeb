using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Inference;

namespace Wafer.Models.Architectures;

/// <summary>Causal multi-head attention (GQA) of each batch token over its own sequence's cached keys and values.</summary>
/// <remarks>
/// Plain F32 math as ggml without flash attention: scores = q·k · 1/√headDim, softmax, Σ p·v. Keys and values are read
/// run by run (<see cref="IKvCache.KeyRun"/>: a whole paged block at a time), not looked up row by row.
/// One instance per model, rebound per layer by <see cref="Bind"/>; work items are (token, head) pairs, or (token, KV head) for large batches;
/// each worker thread keeps its own score buffer, so a forward pass allocates nothing once buffers have grown.
/// </remarks>
internal sealed class CausalAttention(ModelConfig config) : IRangeWork
{
    [ThreadStatic] private static float[]? t_scores; // [heads of one item, max position + 1] of the current batch

    private IKvCache _cache = null!;
    private int _layer;
    private float[] _queries = [];   // [n, heads·headDim]
    private float[] _output = [];    // [n, heads·headDim]
    private ForwardBatch _batch = null!;
    private int _headsPerItem = 1;

    /// <summary>Points the next <see cref="Run"/> calls at one layer's inputs; returns the number of work items.</summary>
    /// <remarks>A large batch (prefill) makes one item per (token, KV head), so each key and value row is read once for all the
    /// query heads that share it (GQA); a small one (decode) one item per (token, head), so the threads get enough items.
    /// Every head's arithmetic is the same either way.</remarks>
    public int Bind(IKvCache cache, int layer, float[] queries, float[] output, ForwardBatch batch, int threads)
    {
        _cache = cache;
        _layer = layer;
        _queries = queries;
        _output = output;
        _batch = batch;
        int n = batch.Count;
        _headsPerItem = n * config.KvHeadCount >= 8 * threads ? config.HeadCount / config.KvHeadCount : 1;
        return n * config.HeadCount / _headsPerItem;
    }

    /// <summary>Computes work items [start, end): item = token · (heads / h) + head / h, for h query heads per item.</summary>
    public void Run(int start, int end)
    {
        int headDim = config.HeadDim, heads = config.HeadCount, g = _headsPerItem;
        int group = heads / config.KvHeadCount, kvLength = config.KvLength, itemsPerToken = heads / g;
        float scale = 1.0f / MathF.Sqrt(headDim);
        var positions = _batch.Positions;
        var sequences = _batch.SequenceIds;
        for (int item = start; item < end; item++)
        {
            int token = item / itemsPerToken, firstHead = item % itemsPerToken * g;
            int kvOffset = firstHead / group * headDim;
            int last = positions[token], sequence = sequences[token], span = last + 1;
            if (t_scores == null || t_scores.Length < g * span) t_scores = new float[Math.Max(g * span, 2 * (t_scores?.Length ?? 256))];
            var queries = _queries.AsSpan(token * config.QueryLength + firstHead * headDim, g * headDim);
            for (int t = 0; t <= last;)
            {
                var keys = _cache.KeyRun(_layer, sequence, t, span - t)[kvOffset..];
                int run = (keys.Length + kvOffset) / kvLength;
                for (int h = 0; h < g; h++)
                    VectorMath.DotRows(queries.Slice(h * headDim, headDim), keys, kvLength, scale, t_scores.AsSpan(h * span + t, run));
                t += run;
            }
            var outputs = _output.AsSpan(token * config.QueryLength + firstHead * headDim, g * headDim);
            outputs.Clear();
            for (int h = 0; h < g; h++) Softmax.InPlace(t_scores.AsSpan(h * span, span));
            for (int t = 0; t <= last;)
            {
                var values = _cache.ValueRun(_layer, sequence, t, span - t)[kvOffset..];
                int run = (values.Length + kvOffset) / kvLength;
                for (int h = 0; h < g; h++)
                    VectorMath.MultiplyAddRows(values, kvLength, t_scores.AsSpan(h * span + t, run), outputs.Slice(h * headDim, headDim));
                t += run;
            }
        }
    }
}
