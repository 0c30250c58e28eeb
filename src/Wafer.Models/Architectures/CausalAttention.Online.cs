using Wafer.Kernels.Ops;
using Wafer.Models.Inference;

namespace Wafer.Models.Architectures;

/// <summary>Attention over long sequences with an online (flash-style) softmax: a chunk of positions at a time, so a thread's
/// buffers do not grow with the context.</summary>
internal sealed partial class CausalAttention
{
    /// <summary>Positions per chunk. A token that sees at most this many positions keeps the one-pass softmax (so short contexts,
    /// and every golden comparison, are computed exactly as before).</summary>
    internal const int Chunk = 256;

    [ThreadStatic] private static float[]? t_chunk; // [tokens·heads, Chunk]: one chunk's scores, then its weights
    [ThreadStatic] private static float[]? t_max;   // [tokens·heads]: running maximum score
    [ThreadStatic] private static double[]? t_sum;  // [tokens·heads]: running Σ exp(score − max)

    /// <summary>Attention of <paramref name="count"/> consecutive batch tokens (one sequence, consecutive positions) for the
    /// <paramref name="heads"/> query heads from <paramref name="firstHead"/>, which share one KV head.</summary>
    /// <remarks>
    /// Chunks start at multiples of <see cref="Chunk"/> from position 0, whatever the cache's blocks, so the paged and the
    /// contiguous cache, and a token alone or in a tile, compute the same bits. Per chunk and (token, head): scores of the
    /// chunk's rows; a new maximum m' = max(m, chunk's max); weights exp(s − m'); the running sum and the output so far scaled by
    /// exp(m − m') before the chunk's weighted values are added. After the last chunk the output is divided by the sum. A token
    /// that sees no more than one chunk takes the one-pass softmax of the short path instead, so it matches that path.
    /// With a sliding window the chunks before the earliest window are skipped, and a token's rows before its own window get
    /// weight 0 (they are read for the tile's other tokens).
    /// </remarks>
    private void RunOnline(int firstToken, int count, int firstHead, int heads, int part = -1)
    {
        int headDim = config.HeadDim, group = config.HeadCount / config.KvHeadCount;
        int kvOffset = firstHead / group * headDim, items = count * heads;
        float scale = config.AttentionScale;
        var positions = _batch.Positions;
        int sequence = _batch.SequenceIds[firstToken], span = positions[firstToken + count - 1] + 1;
        int lo = WindowStart(positions[firstToken]); // the earliest position any of the tokens sees
        bool keysF32 = _cache.KeyTypeOf(sequence) == KvType.F32, valuesF32 = _cache.ValueTypeOf(sequence) == KvType.F32;
        if ((!keysF32 || !valuesF32) && (t_rows == null || t_rows.Length < RunRows * headDim)) t_rows = new float[RunRows * headDim];
        if (t_chunk == null || t_chunk.Length < items * Chunk) t_chunk = new float[items * Chunk];
        if (t_max == null || t_sum == null || t_max.Length < items)
        {
            t_max = new float[items];
            t_sum = new double[items];
        }
        t_max.AsSpan(0, items).Fill(float.NegativeInfinity);
        t_sum.AsSpan(0, items).Clear();
        // One part of a split token (count 1) computes its share of the chunks into its own buffers; Finish merges the parts.
        Span<float> Outputs(int k) => part < 0 ? Output(firstToken + k, firstHead, heads) : PartOutput(firstToken, firstHead, part);
        for (int k = 0; k < count; k++) Outputs(k).Clear();
        int firstChunk = lo / Chunk, chunks = (span - 1) / Chunk - firstChunk + 1;
        int chunkBegin = part < 0 ? firstChunk : firstChunk + part * chunks / _parts;
        int chunkEnd = part < 0 ? firstChunk + chunks : firstChunk + (part + 1) * chunks / _parts;
        for (int c0 = chunkBegin * Chunk; c0 < chunkEnd * Chunk && c0 < span; c0 += Chunk)
        {
            int c1 = Math.Min(span, c0 + Chunk), from = Math.Max(c0, lo); // rows [from, c1) of this chunk are read
            for (int t = from; t < c1;)
            {
                int run = ReadRun(keys: true, keysF32, sequence, t, c1, kvOffset, out var block, out int rowStride);
                for (int k = 0; k < count; k++)
                {
                    int rows = Math.Min(run, positions[firstToken + k] + 1 - t);
                    if (rows <= 0) continue;
                    var keys = block[..((rows - 1) * rowStride + headDim)];
                    var queries = _queries.AsSpan((firstToken + k) * config.QueryLength + firstHead * headDim, heads * headDim);
                    for (int h = 0; h < heads; h++)
                        VectorMath.DotRows(queries.Slice(h * headDim, headDim), keys, rowStride, scale, t_chunk.AsSpan((k * heads + h) * Chunk + t - c0, rows));
                }
                t += run;
            }
            for (int k = 0; k < count; k++)
            {
                int own = positions[firstToken + k] + 1, end = Math.Min(own, c1) - c0;
                if (end <= from - c0) continue;
                int seen = Math.Max(from, WindowStart(own - 1)) - c0; // this chunk's rows the token sees: [seen, end)
                var outputs = Outputs(k);
                for (int h = 0; h < heads; h++)
                {
                    int i = k * heads + h;
                    var row = t_chunk.AsSpan(i * Chunk, end);
                    row[(from - c0)..Math.Max(from - c0, Math.Min(seen, end))].Clear(); // weight 0 before the token's window
                    if (seen >= end) continue;
                    var weights = row[seen..];
                    if (own <= Chunk)
                    {
                        SoftmaxVisible(weights);
                        continue;
                    }
                    if (config.AttentionSoftCap > 0) Activations.SoftCap(weights, config.AttentionSoftCap);
                    float max = MathF.Max(t_max[i], VectorMath.Max(weights));
                    double sum = Softmax.ExpInPlace(weights, max);
                    if (t_max[i] != float.NegativeInfinity && t_max[i] != max)
                    {
                        float correction = MathF.Exp(t_max[i] - max);
                        t_sum[i] *= correction;
                        VectorMath.Scale(outputs.Slice(h * headDim, headDim), correction);
                    }
                    t_sum[i] += sum;
                    t_max[i] = max;
                }
            }
            for (int t = from; t < c1;)
            {
                int run = ReadRun(keys: false, valuesF32, sequence, t, c1, kvOffset, out var block, out int rowStride);
                for (int k = 0; k < count; k++)
                {
                    int rows = Math.Min(run, positions[firstToken + k] + 1 - t);
                    if (rows <= 0) continue;
                    var values = block[..((rows - 1) * rowStride + headDim)];
                    var outputs = Outputs(k);
                    for (int h = 0; h < heads; h++)
                        VectorMath.MultiplyAddRows(values, rowStride, t_chunk.AsSpan((k * heads + h) * Chunk + t - c0, rows), outputs.Slice(h * headDim, headDim));
                }
                t += run;
            }
        }
        if (part >= 0)
        {
            int at = PartIndex(firstToken, firstHead, part) * heads;
            t_max.AsSpan(0, heads).CopyTo(_partMax.AsSpan(at, heads));
            t_sum.AsSpan(0, heads).CopyTo(_partSum.AsSpan(at, heads));
            return;
        }
        for (int k = 0; k < count; k++)
        {
            if (positions[firstToken + k] + 1 <= Chunk) continue;
            var outputs = Output(firstToken + k, firstHead, heads);
            for (int h = 0; h < heads; h++) VectorMath.Scale(outputs.Slice(h * headDim, headDim), (float)(1.0 / t_sum[k * heads + h]));
        }
    }

    // Split-K: when a batch has fewer (token, KV head) items than threads (one long sequence decoding), each long token's chunks
    // are shared out among _parts items; each part keeps its own running max, sum and unnormalised output, and Finish merges
    // them as the chunks of one pass would be: M = max m_p, sum = Σ s_p·e^(m_p − M), output = Σ o_p·e^(m_p − M) / sum.

    /// <summary>Parts a long token is split into at most.</summary>
    private const int MaxParts = 16;

    private int _parts = 1;

    /// <summary>Parts the last bound layer split its long tokens into (1: none was split).</summary>
    internal int Parts => _parts;
    private float[] _partOutput = [];  // [items, parts, heads of an item, headDim]
    private float[] _partMax = [];     // [items, parts, heads of an item]
    private double[] _partSum = [];    // [items, parts, heads of an item]

    private void BindParts(int parts, int items)
    {
        _parts = parts;
        int g = _headsPerItem;
        if (_partMax.Length < items * parts * g)
        {
            _partOutput = new float[items * parts * g * config.HeadDim];
            _partMax = new float[items * parts * g];
            _partSum = new double[items * parts * g];
        }
    }

    private int PartIndex(int token, int firstHead, int part) => (token * (config.HeadCount / _headsPerItem) + firstHead / _headsPerItem) * _parts + part;

    private Span<float> PartOutput(int token, int firstHead, int part) =>
        _partOutput.AsSpan(PartIndex(token, firstHead, part) * _headsPerItem * config.HeadDim, _headsPerItem * config.HeadDim);

    /// <summary>After the pool ran every item: merges the parts of split tokens into the output (nothing when none was split).</summary>
    public void Finish()
    {
        if (_parts == 1) return;
        int g = _headsPerItem, headDim = config.HeadDim;
        var positions = _batch.Positions;
        for (int token = 0; token < _batch.Count; token++)
        {
            if (positions[token] + 1 - WindowStart(positions[token]) <= Chunk) continue; // computed whole by its first part
            for (int firstHead = 0; firstHead < config.HeadCount; firstHead += g)
            {
                var outputs = Output(token, firstHead, g);
                for (int h = 0; h < g; h++)
                {
                    float max = float.NegativeInfinity;
                    for (int p = 0; p < _parts; p++) max = MathF.Max(max, _partMax[PartIndex(token, firstHead, p) * g + h]);
                    var output = outputs.Slice(h * headDim, headDim);
                    output.Clear();
                    double sum = 0;
                    for (int p = 0; p < _parts; p++)
                    {
                        int at = PartIndex(token, firstHead, p) * g + h;
                        if (_partMax[at] == float.NegativeInfinity) continue; // a part without chunks (fewer chunks than parts)
                        float factor = MathF.Exp(_partMax[at] - max);
                        sum += _partSum[at] * factor;
                        VectorMath.MultiplyAdd(PartOutput(token, firstHead, p).Slice(h * headDim, headDim), factor, output);
                    }
                    VectorMath.Scale(output, (float)(1.0 / sum));
                }
            }
        }
    }

    private Span<float> Output(int token, int firstHead, int heads) =>
        _output.AsSpan(token * config.QueryLength + firstHead * config.HeadDim, heads * config.HeadDim);
}
