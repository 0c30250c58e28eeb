using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Inference;

namespace Wafer.Models.Architectures;

/// <summary>Causal multi-head attention (GQA) of each batch token over its own sequence's cached keys and values.</summary>
/// <remarks>
/// Plain F32 math as ggml without flash attention: scores = q·k · 1/√headDim, softmax, Σ p·v. Keys and values are read
/// run by run (<see cref="IKvCache.KeyRun"/>: a whole paged block at a time), not looked up row by row.
/// One instance per model, rebound per layer by <see cref="Bind"/>; work items are (token, head) pairs;
/// each worker thread keeps its own score buffer, so a forward pass allocates nothing once buffers have grown.
/// </remarks>
internal sealed class CausalAttention(ModelConfig config) : IRangeWork
{
    [ThreadStatic] private static float[]? t_scores; // [max position + 1] of the current batch

    private IKvCache _cache = null!;
    private int _layer;
    private float[] _queries = [];   // [n, heads·headDim]
    private float[] _output = [];    // [n, heads·headDim]
    private ForwardBatch _batch = null!;

    /// <summary>Points the next <see cref="Run"/> calls at one layer's inputs.</summary>
    public void Bind(IKvCache cache, int layer, float[] queries, float[] output, ForwardBatch batch)
    {
        _cache = cache;
        _layer = layer;
        _queries = queries;
        _output = output;
        _batch = batch;
    }

    /// <summary>Computes work items [start, end) where item = token · heads + head.</summary>
    public void Run(int start, int end)
    {
        int headDim = config.HeadDim, heads = config.HeadCount;
        int group = heads / config.KvHeadCount, kvLength = config.KvLength;
        float scale = 1.0f / MathF.Sqrt(headDim);
        var positions = _batch.Positions;
        var sequences = _batch.SequenceIds;
        for (int item = start; item < end; item++)
        {
            int token = item / heads, head = item % heads;
            int kvOffset = head / group * headDim;
            var q = _queries.AsSpan(token * config.QueryLength + head * headDim, headDim);
            int last = positions[token], sequence = sequences[token];
            if (t_scores == null || t_scores.Length <= last) t_scores = new float[Math.Max(last + 1, 2 * (t_scores?.Length ?? 256))];
            var s = t_scores.AsSpan(0, last + 1);
            for (int t = 0; t <= last;)
            {
                var keys = _cache.KeyRun(_layer, sequence, t, last + 1 - t);
                for (int row = kvOffset; row < keys.Length; row += kvLength, t++)
                    s[t] = VectorMath.Dot(q, keys.Slice(row, headDim)) * scale;
            }
            Softmax.InPlace(s);
            var o = _output.AsSpan(token * config.QueryLength + head * headDim, headDim);
            o.Clear();
            for (int t = 0; t <= last;)
            {
                var values = _cache.ValueRun(_layer, sequence, t, last + 1 - t);
                for (int row = kvOffset; row < values.Length; row += kvLength, t++)
                    VectorMath.MultiplyAdd(values.Slice(row, headDim), s[t], o);
            }
        }
    }
}
