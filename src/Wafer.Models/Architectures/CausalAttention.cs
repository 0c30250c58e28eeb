using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Inference;

namespace Wafer.Models.Architectures;

/// <summary>Causal multi-head attention (GQA) of each batch token over its own sequence's cached keys and values.</summary>
/// <remarks>
/// Plain F32 math as ggml without flash attention: scores = q·k · 1/√headDim (or the model's own scale), soft-capped where the
/// model asks (gemma2), softmax over the positions the token sees (all before it, or a sliding window of them), Σ p·v. Keys and values are read
/// run by run (<see cref="IKvCache.KeyRun"/>: a whole paged block at a time), not looked up row by row. An F16 or Q8_0 cache
/// widens each run's columns of the item's KV head into a per-thread F32 buffer first (<see cref="IKvCache.ReadKeys"/>), once
/// for all the query heads of the item; the arithmetic after that is the F32 path's.
/// One instance per model, rebound per layer by <see cref="Bind"/>; work items are (token, head) pairs, or (token, KV head) for large batches;
/// each worker thread keeps its own score buffer, so a forward pass allocates nothing once buffers have grown.
/// A token that sees more than <see cref="Chunk"/> positions takes the online softmax instead (<see cref="RunOnline"/>): its
/// buffers are one chunk long whatever the context.
/// </remarks>
internal sealed partial class CausalAttention(ModelConfig config) : IRangeWork
{
    [ThreadStatic] private static float[]? t_scores; // [heads of one item, max position + 1] of the current batch
    [ThreadStatic] private static float[]? t_rows;   // [RunRows, headDim]: widened keys or values of one run (F16/Q8_0 caches)

    /// <summary>Rows of an F16/Q8_0 cache widened at a time (a run never spans two KV blocks anyway).</summary>
    private const int RunRows = 64;

    private IKvCache _cache = null!;
    private int _layer;
    private float[] _queries = [];   // [n, heads·headDim]
    private float[] _output = [];    // [n, heads·headDim]
    private ForwardBatch _batch = null!;
    private int _headsPerItem = 1;
    private int _window;             // the layer's sliding window (positions a token sees, itself included); 0: the whole sequence

    /// <summary>The first position a token at <paramref name="position"/> sees in this layer.</summary>
    private int WindowStart(int position) => _window == 0 ? 0 : Math.Max(0, position - _window + 1);

    /// <summary>Soft-caps (gemma2) then normalises one token's scores over the positions it sees.</summary>
    private void SoftmaxVisible(Span<float> scores)
    {
        if (config.AttentionSoftCap > 0) Activations.SoftCap(scores, config.AttentionSoftCap);
        Softmax.InPlace(scores);
    }

    /// <summary>Query tokens a tile holds at most (prefill over an F16/Q8_0 cache).</summary>
    private const int TileTokens = 16;

    // Tiles of the current batch: runs of up to TileTokens consecutive tokens of one sequence at consecutive positions. A
    // tile's KV head reads (and, in an F16/Q8_0 cache, widens) each run of rows once for all its tokens instead of once per
    // token: the O(n²) part of a prefill touches memory TileTokens times less. Zero tiles: one item per token as above.
    private int[] _tileStart = new int[16];
    private int[] _tileCount = new int[16];
    private int _tiles;

    /// <summary>Points the next <see cref="Run"/> calls at one layer's inputs; returns the number of work items.</summary>
    /// <remarks>A large batch (prefill) makes one item per (token, KV head), so each key and value row is read once for all the
    /// query heads that share it (GQA); a small one (decode) one item per (token, head), so the threads get enough items.
    /// Every head's arithmetic is the same either way.</remarks>
    public int Bind(IKvCache cache, int layer, float[] queries, float[] output, ForwardBatch batch, int threads)
    {
        _cache = cache;
        _layer = layer;
        _window = config.WindowOf(layer);
        _queries = queries;
        _output = output;
        _batch = batch;
        int n = batch.Count;
        // An F16/Q8_0 cache widens a KV head's rows once per item: items of all the query heads sharing it, so none is widened twice.
        // Types are per sequence (an adaptive cache holds some sequences narrower than others); tiles read keys and values alike.
        bool widened = false, sameTypes = true;
        for (int i = 0; i < n; i++)
        {
            int s = batch.SequenceIds[i];
            if (i > 0 && s == batch.SequenceIds[i - 1]) continue;
            var (k, v) = (cache.KeyTypeOf(s), cache.ValueTypeOf(s));
            widened |= k != KvType.F32 || v != KvType.F32;
            sameTypes &= k == v;
        }
        // Past a chunk of positions the rows no longer stay in the core's caches between the heads that share them: one item
        // per KV head reads each row once for all of them (a decode step at depth 4096 reads a seventh of the bytes on Qwen2.5).
        bool deep = false, split = false; // split: a token sees more than a chunk (its window allowing), so its chunks can be shared out
        for (int i = 0; i < n && !split; i++)
        {
            deep |= batch.Positions[i] >= Chunk;
            split = batch.Positions[i] + 1 - WindowStart(batch.Positions[i]) > Chunk;
        }
        _headsPerItem = widened || deep || n * config.KvHeadCount >= 8 * threads ? config.HeadCount / config.KvHeadCount : 1;
        _tiles = sameTypes ? Tile(batch) : 0;
        _parts = 1;
        if (_tiles > 0 && _tiles * config.KvHeadCount >= 2 * threads && _tiles < n) return _tiles * config.KvHeadCount;
        _tiles = 0;
        int items = n * config.HeadCount / _headsPerItem;
        if (split && items < threads) BindParts(Math.Min(MaxParts, (threads + items - 1) / items), items);
        return items * _parts;
    }

    /// <summary>Groups the batch's tokens into tiles; returns how many.</summary>
    private int Tile(ForwardBatch batch)
    {
        int tiles = 0;
        var positions = batch.Positions;
        var sequences = batch.SequenceIds;
        for (int i = 0; i < batch.Count;)
        {
            int count = 1;
            while (i + count < batch.Count && count < TileTokens && sequences[i + count] == sequences[i] && positions[i + count] == positions[i + count - 1] + 1) count++;
            if (tiles == _tileStart.Length)
            {
                Array.Resize(ref _tileStart, 2 * tiles);
                Array.Resize(ref _tileCount, 2 * tiles);
            }
            _tileStart[tiles] = i;
            _tileCount[tiles] = count;
            tiles++;
            i += count;
        }
        return tiles;
    }

    /// <summary>The key (or value) rows of the run of positions from <paramref name="t"/>, for one KV head: F32 rows where they
    /// are (<paramref name="rowStride"/> = kvLength), others widened into this thread's buffer (stride headDim). Returns the
    /// run's length.</summary>
    private int ReadRun(bool keys, bool f32, int sequence, int t, int span, int kvOffset, out Span<float> block, out int rowStride)
    {
        int headDim = config.HeadDim, kvLength = config.KvLength;
        if (f32)
        {
            // At most RunRows rows (a 64-value head's 16 KiB of them, within 32 KiB at Qwen2.5's stride of 128 values), so that a
            // run stays in L1 while every token and head of the item reads it (a 256-row run spills to L2: DotRows took 5.4 against
            // 3.5 ns a row on a 2.8 GHz Xeon). A row's dot product and the order of the sums do not depend on where runs are cut.
            int count = Math.Min(span - t, RunRows);
            block = (keys ? _cache.KeyRun(_layer, sequence, t, count) : _cache.ValueRun(_layer, sequence, t, count))[kvOffset..];
            rowStride = kvLength;
            return (block.Length + kvOffset) / kvLength;
        }
        int run = keys ? _cache.ReadKeys(_layer, sequence, t, Math.Min(RunRows, span - t), kvOffset, headDim, t_rows)
            : _cache.ReadValues(_layer, sequence, t, Math.Min(RunRows, span - t), kvOffset, headDim, t_rows);
        block = t_rows.AsSpan(0, run * headDim);
        rowStride = headDim;
        return run;
    }

    /// <summary>Computes tile items [start, end): item = tile · kvHeads + kvHead, every query head of that KV head for every
    /// token of the tile. Each token's dots, softmax and weighted sums are the per-token path's, over the same runs of rows
    /// (a token's last run is cut at its own position), so the results are the same bits.</summary>
    private void RunTiles(int start, int end)
    {
        int headDim = config.HeadDim, kvHeads = config.KvHeadCount, g = config.HeadCount / kvHeads;
        float scale = config.AttentionScale;
        var positions = _batch.Positions;
        var sequences = _batch.SequenceIds;
        for (int item = start; item < end; item++)
        {
            int tile = item / kvHeads, kvHead = item % kvHeads, kvOffset = kvHead * headDim;
            int first = _tileStart[tile], count = _tileCount[tile], sequence = sequences[first];
            bool f32 = _cache.KeyTypeOf(sequence) == KvType.F32; // a tile's keys and values have one type (Bind)
            if (!f32 && (t_rows == null || t_rows.Length < RunRows * headDim)) t_rows = new float[RunRows * headDim];
            int last = positions[first + count - 1], span = last + 1; // every token's span fits in the last one's
            int lo = WindowStart(positions[first]);                     // and every token's window starts at or after the first one's
            if (span - lo > Chunk)
            {
                RunOnline(first, count, kvHead * g, g);
                continue;
            }
            int stride = span - lo;                                     // score of (token k, head h) at position t: (k·g + h)·stride + t − lo
            if (t_scores == null || t_scores.Length < count * g * stride) t_scores = new float[Math.Max(count * g * stride, 2 * (t_scores?.Length ?? 256))];
            for (int t = lo; t <= last;)
            {
                int run = ReadRun(keys: true, f32, sequence, t, span, kvOffset, out var block, out int rowStride);
                for (int k = 0; k < count; k++)
                {
                    int own = positions[first + k] + 1 - t;
                    if (own <= 0) continue;
                    int rows = Math.Min(run, own);
                    var keys = block[..((rows - 1) * rowStride + headDim)];
                    var queries = _queries.AsSpan((first + k) * config.QueryLength + kvHead * g * headDim, g * headDim);
                    for (int h = 0; h < g; h++)
                        VectorMath.DotRows(queries.Slice(h * headDim, headDim), keys, rowStride, scale, t_scores.AsSpan((k * g + h) * stride + t - lo, rows));
                }
                t += run;
            }
            for (int k = 0; k < count; k++)
            {
                int own = positions[first + k] + 1, skipped = WindowStart(own - 1) - lo; // positions before this token's window
                _output.AsSpan((first + k) * config.QueryLength + kvHead * g * headDim, g * headDim).Clear();
                for (int h = 0; h < g; h++)
                {
                    var row = t_scores.AsSpan((k * g + h) * stride, own - lo);
                    SoftmaxVisible(row[skipped..]);
                    row[..skipped].Clear(); // weight 0: the rows before the window add nothing below
                }
            }
            for (int t = lo; t <= last;)
            {
                int run = ReadRun(keys: false, f32, sequence, t, span, kvOffset, out var block, out int rowStride);
                for (int k = 0; k < count; k++)
                {
                    int own = positions[first + k] + 1 - t;
                    if (own <= 0) continue;
                    int rows = Math.Min(run, own);
                    var values = block[..((rows - 1) * rowStride + headDim)];
                    var outputs = _output.AsSpan((first + k) * config.QueryLength + kvHead * g * headDim, g * headDim);
                    for (int h = 0; h < g; h++)
                        VectorMath.MultiplyAddRows(values, rowStride, t_scores.AsSpan((k * g + h) * stride + t - lo, rows), outputs.Slice(h * headDim, headDim));
                }
                t += run;
            }
        }
    }

    /// <summary>Computes work items [start, end): item = token · (heads / h) + head / h, for h query heads per item.</summary>
    public void Run(int start, int end)
    {
        if (_tiles > 0)
        {
            RunTiles(start, end);
            return;
        }
        int headDim = config.HeadDim, heads = config.HeadCount, g = _headsPerItem;
        int group = heads / config.KvHeadCount, kvLength = config.KvLength, itemsPerToken = heads / g;
        float scale = config.AttentionScale;
        var positions = _batch.Positions;
        var sequences = _batch.SequenceIds;
        for (int split = start; split < end; split++)
        {
            int item = split / _parts, part = split % _parts;
            int token = item / itemsPerToken, firstHead = item % itemsPerToken * g;
            int kvOffset = firstHead / group * headDim;
            int last = positions[token], sequence = sequences[token], lo = WindowStart(last), span = last + 1 - lo;
            if (span > Chunk)
            {
                RunOnline(token, 1, firstHead, g, _parts > 1 ? part : -1);
                continue;
            }
            if (part > 0) continue; // a short token is one part's work: the first's
            // Scores of head h at position t: h·span + t − lo, over the positions the token sees (lo = 0 without a window).
            if (t_scores == null || t_scores.Length < g * span) t_scores = new float[Math.Max(g * span, 2 * (t_scores?.Length ?? 256))];
            var queries = _queries.AsSpan(token * config.QueryLength + firstHead * headDim, g * headDim);
            bool keysF32 = _cache.KeyTypeOf(sequence) == KvType.F32, valuesF32 = _cache.ValueTypeOf(sequence) == KvType.F32;
            if ((!keysF32 || !valuesF32) && (t_rows == null || t_rows.Length < RunRows * headDim)) t_rows = new float[RunRows * headDim];
            for (int t = lo; t <= last;)
            {
                int run;
                if (keysF32)
                {
                    var keys = _cache.KeyRun(_layer, sequence, t, last + 1 - t)[kvOffset..];
                    run = (keys.Length + kvOffset) / kvLength;
                    for (int h = 0; h < g; h++)
                        VectorMath.DotRows(queries.Slice(h * headDim, headDim), keys, kvLength, scale, t_scores.AsSpan(h * span + t - lo, run));
                }
                else
                {
                    run = _cache.ReadKeys(_layer, sequence, t, Math.Min(RunRows, last + 1 - t), kvOffset, headDim, t_rows);
                    var keys = t_rows.AsSpan(0, run * headDim);
                    for (int h = 0; h < g; h++)
                        VectorMath.DotRows(queries.Slice(h * headDim, headDim), keys, headDim, scale, t_scores.AsSpan(h * span + t - lo, run));
                }
                t += run;
            }
            var outputs = _output.AsSpan(token * config.QueryLength + firstHead * headDim, g * headDim);
            outputs.Clear();
            for (int h = 0; h < g; h++) SoftmaxVisible(t_scores.AsSpan(h * span, span));
            for (int t = lo; t <= last;)
            {
                int run;
                if (valuesF32)
                {
                    var values = _cache.ValueRun(_layer, sequence, t, last + 1 - t)[kvOffset..];
                    run = (values.Length + kvOffset) / kvLength;
                    for (int h = 0; h < g; h++)
                        VectorMath.MultiplyAddRows(values, kvLength, t_scores.AsSpan(h * span + t - lo, run), outputs.Slice(h * headDim, headDim));
                }
                else
                {
                    run = _cache.ReadValues(_layer, sequence, t, Math.Min(RunRows, last + 1 - t), kvOffset, headDim, t_rows);
                    var values = t_rows!.AsSpan(0, run * headDim);
                    for (int h = 0; h < g; h++)
                        VectorMath.MultiplyAddRows(values, headDim, t_scores.AsSpan(h * span + t - lo, run), outputs.Slice(h * headDim, headDim));
                }
                t += run;
            }
        }
    }
}
