using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Gguf;
using Wafer.Models.Inference;

namespace Wafer.Models.Architectures;

/// <summary>A decoder-only transformer (llama, qwen2, qwen3, gemma2, gemma3, phi3) running batched forward passes over GGUF weights.</summary>
/// <remarks>
/// One <see cref="Forward"/> call:
/// Step 1: embed every token of the ragged batch (× √embd for gemma).
/// Step 2: per layer, RMSNorm → q/k/v projections (+bias, +q/k norm) → rope (the layer's base and scale) → write k/v to the
/// cache → causal attention of each token over its own sequence (or its sliding window; scores soft-capped for gemma2) →
/// output projection (→ RMSNorm for gemma) → residual; RMSNorm → SwiGLU or GeGLU feed-forward (→ RMSNorm for gemma) → residual.
/// Step 3: final RMSNorm and the vocabulary projection (soft-capped for gemma2), only for entries that want logits (or, for
/// <see cref="ForwardHidden(ForwardBatch, IKvCache, Span{float})"/>, the normalised hidden states).
/// Numerics follow ggml's order of operations so results agree with llama.cpp.
/// </remarks>
public sealed class TransformerModel : IDisposable
{
    private readonly GgufFile _file;
    private readonly WorkerPool _pool;
    private readonly WeightMatrix _embedding;       // [vocab, embd]
    private readonly float[] _outputNorm;           // [embd]
    private readonly WeightMatrix _output;          // [embd → vocab]
    private readonly LayerWeights[] _layers;
    private readonly float[] _ropeFactors;          // [ropeDims/2] or empty
    private readonly CausalAttention _attention;
    private readonly RepackedWeights? _repacked;    // interleaved copies of the Q8_0/Q4_0/Q5_0 matrices, or null
    private readonly SwiGluWork _swiGlu;
    private ForwardBuffers _buffers = new(0, null!);

    /// <summary>The model's hyper-parameters.</summary>
    public ModelConfig Config { get; }

    /// <summary>The threads the forward pass runs on (callers may run their own per-row work on them between passes).</summary>
    public WorkerPool Pool => _pool;

    /// <summary>The GGUF file the weights live in.</summary>
    public GgufFile File => _file;

    private TransformerModel(GgufFile file, WorkerPool pool, bool repack)
    {
        _file = file;
        _pool = pool;
        Config = ModelConfig.FromGguf(file);
        var c = Config;
        _attention = new CausalAttention(c);
        _swiGlu = new SwiGluWork(c.Activation);
        _embedding = WeightMatrix.Load(file, GgufNames.TokenEmbedding, c.EmbeddingLength, c.VocabSize);
        _outputNorm = VectorLoader.Load(file, GgufNames.OutputNorm, c.EmbeddingLength);
        _output = file.TryGetTensor(GgufNames.Output, out _)
            ? WeightMatrix.Load(file, GgufNames.Output, c.EmbeddingLength, c.VocabSize)
            : _embedding; // tied output
        _layers = new LayerWeights[c.LayerCount];
        for (int l = 0; l < c.LayerCount; l++) _layers[l] = LayerWeights.Load(file, c, l);
        _ropeFactors = file.TryGetTensor(GgufNames.RopeFrequencies, out _)
            ? VectorLoader.Load(file, GgufNames.RopeFrequencies, c.RopeDimensions / 2)
            : [];
        if (repack)
            _repacked = RepackedWeights.Repack(
                _layers.SelectMany(l => l.Matrices).Append(_output), pool);
    }

    /// <summary>Parts the last layer's attention split each long token's positions into across the pool (split-K; 1 when not split).</summary>
    internal int AttentionParts => _attention.Parts;

    /// <summary>Bytes of weights copied into a faster layout at load (<see cref="Load"/>'s <c>repack</c>); 0 when none.</summary>
    public long RepackedBytes => _repacked?.Bytes ?? 0;

    /// <summary>Opens <paramref name="path"/> and binds its weights: memory-mapped, nothing copied but norms, biases and, unless
    /// <paramref name="repack"/> is false, the Q8_0/Q4_0/Q5_0 matrices, which are repacked into 8 interleaved rows (see <see cref="RepackedWeights"/>).</summary>
    public static TransformerModel Load(string path, WorkerPool pool, bool repack = true)
    {
        var file = GgufFile.Open(path);
        try
        {
            return new TransformerModel(file, pool, repack);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="batch"/> and writes logits [batch.OutputCount, vocab] for the entries that want them.</summary>
    public void Forward(ForwardBatch batch, IKvCache cache, Span<float> logits)
    {
        var c = Config;
        if (logits.Length < (long)batch.OutputCount * c.VocabSize)
            throw new ArgumentException($"logits needs {batch.OutputCount} × {c.VocabSize} floats", nameof(logits));
        int o = ForwardHidden(batch, cache);
        // Step 3b: the vocabulary projection of the normalised hidden states.
        if (o > 0) _output.Multiply(_buffers.H.AsSpan(0, o * c.EmbeddingLength), o, _buffers.Scratch, logits[..(o * c.VocabSize)], _pool);
        if (o > 0 && c.FinalSoftCap > 0) Activations.SoftCap(logits[..(o * c.VocabSize)], c.FinalSoftCap);
    }

    /// <summary>Runs <paramref name="batch"/> and writes the final normalised hidden states [batch.OutputCount, embd]
    /// of the entries that want output (what embedding models pool).</summary>
    public void ForwardHidden(ForwardBatch batch, IKvCache cache, Span<float> hidden)
    {
        int length = batch.OutputCount * Config.EmbeddingLength;
        if (hidden.Length < length) throw new ArgumentException($"hidden needs {batch.OutputCount} × {Config.EmbeddingLength} floats", nameof(hidden));
        int o = ForwardHidden(batch, cache);
        _buffers.H.AsSpan(0, o * Config.EmbeddingLength).CopyTo(hidden);
    }

    /// <summary>Steps 1, 2 and 3a; leaves the normalised hidden states of the wanted entries in the H buffer and returns their count.</summary>
    private int ForwardHidden(ForwardBatch batch, IKvCache cache)
    {
        var c = Config;
        int n = batch.Count;
        if (n == 0) return 0;
        var b = EnsureBuffers(n);

        // Step 1: embeddings.
        var tokens = batch.Tokens;
        for (int i = 0; i < n; i++)
        {
            if ((uint)tokens[i] >= (uint)c.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(batch), $"token id {tokens[i]} is outside the vocabulary of {c.VocabSize}");
            _embedding.ReadRow(tokens[i], b.X.AsSpan(i * c.EmbeddingLength, c.EmbeddingLength));
            if (c.EmbeddingScale != 1.0f) VectorMath.Scale(b.X.AsSpan(i * c.EmbeddingLength, c.EmbeddingLength), c.EmbeddingScale);
        }

        // Step 2: layers.
        for (int l = 0; l < c.LayerCount; l++)
        {
            Attention(l, batch, cache, b);
            FeedForward(_layers[l], n, b);
        }

        // Step 3a: final norm of the wanted entries.
        int o = 0;
        var wanted = batch.WantLogits;
        for (int i = 0; i < n; i++)
        {
            if (!wanted[i]) continue;
            RmsNorm.Apply(b.X.AsSpan(i * c.EmbeddingLength, c.EmbeddingLength), _outputNorm, c.RmsEpsilon, b.H.AsSpan(o * c.EmbeddingLength, c.EmbeddingLength));
            o++;
        }
        return o;
    }

    private void Attention(int layer, ForwardBatch batch, IKvCache cache, ForwardBuffers b)
    {
        var c = Config;
        var w = _layers[layer];
        int n = batch.Count, e = c.EmbeddingLength;
        for (int i = 0; i < n; i++)
            RmsNorm.Apply(b.X.AsSpan(i * e, e), w.AttentionNorm, c.RmsEpsilon, b.H.AsSpan(i * e, e));
        var h = b.H.AsSpan(0, n * e);
        w.Query.Multiply(h, n, b.Scratch, b.Q.AsSpan(0, n * c.QueryLength), _pool);
        w.Key.Multiply(h, n, b.Scratch, b.K.AsSpan(0, n * c.KvLength), _pool, inputUnchanged: true);
        w.Value.Multiply(h, n, b.Scratch, b.V.AsSpan(0, n * c.KvLength), _pool, inputUnchanged: true);

        var positions = batch.Positions;
        var sequences = batch.SequenceIds;
        float ropeBase = c.RopeFreqBaseOf(layer), ropeScale = c.RopeFreqScaleOf(layer);
        for (int i = 0; i < n; i++)
        {
            var q = b.Q.AsSpan(i * c.QueryLength, c.QueryLength);
            var k = b.K.AsSpan(i * c.KvLength, c.KvLength);
            var v = b.V.AsSpan(i * c.KvLength, c.KvLength);
            if (w.QueryBias != null) Activations.Add(w.QueryBias, q);
            if (w.KeyBias != null) Activations.Add(w.KeyBias, k);
            if (w.ValueBias != null) Activations.Add(w.ValueBias, v);
            if (w.QueryNorm != null) NormalizeHeads(q, w.QueryNorm);
            if (w.KeyNorm != null) NormalizeHeads(k, w.KeyNorm);
            if (c.RopeYarn is { } yarn) Rope.Angles(positions[i], c.RopeDimensions, ropeBase, ropeScale, _ropeFactors, yarn, b.CosSin);
            else Rope.Angles(positions[i], c.RopeDimensions, ropeBase, ropeScale, _ropeFactors, b.CosSin);
            Rope.Apply(q, c.HeadDim, c.RopeDimensions, b.CosSin, c.RopeNeox);
            Rope.Apply(k, c.HeadDim, c.RopeDimensions, b.CosSin, c.RopeNeox);
            cache.Write(layer, sequences[i], positions[i], k, v);
        }

        _pool.For(_attention.Bind(cache, layer, b.Q, b.Attn, batch, _pool.ThreadCount), 1, _attention);
        _attention.Finish();

        w.Output.Multiply(b.Attn.AsSpan(0, n * c.QueryLength), n, b.Scratch, b.H.AsSpan(0, n * e), _pool);
        if (w.PostAttentionNorm != null) NormalizeRows(b.H, n, w.PostAttentionNorm);
        Activations.Add(b.H.AsSpan(0, n * e), b.X.AsSpan(0, n * e));
    }

    /// <summary>RMSNorm of each of the first <paramref name="n"/> rows of <paramref name="rows"/> in place (gemma's post-norms).</summary>
    private void NormalizeRows(float[] rows, int n, float[] weight)
    {
        int e = Config.EmbeddingLength;
        for (int i = 0; i < n; i++) RmsNorm.Apply(rows.AsSpan(i * e, e), weight, Config.RmsEpsilon, rows.AsSpan(i * e, e));
    }

    private void NormalizeHeads(Span<float> heads, float[] weight)
    {
        int d = Config.HeadDim;
        for (int h = 0; h < heads.Length; h += d)
            RmsNorm.Apply(heads.Slice(h, d), weight, Config.RmsEpsilon, heads.Slice(h, d));
    }

    private void FeedForward(LayerWeights w, int n, ForwardBuffers b)
    {
        var c = Config;
        int e = c.EmbeddingLength, f = c.FeedForwardLength;
        for (int i = 0; i < n; i++)
            RmsNorm.Apply(b.X.AsSpan(i * e, e), w.FeedForwardNorm, c.RmsEpsilon, b.H.AsSpan(i * e, e));
        w.Gate.Multiply(b.H.AsSpan(0, n * e), n, b.Scratch, b.Gate.AsSpan(0, n * f), _pool);
        w.Up.Multiply(b.H.AsSpan(0, n * e), n, b.Scratch, b.Up.AsSpan(0, n * f), _pool, inputUnchanged: true);
        _swiGlu.Bind(b.Gate, b.Up);
        _pool.For(n * f, 8192, _swiGlu);
        w.Down.Multiply(b.Gate.AsSpan(0, n * f), n, b.Scratch, b.H.AsSpan(0, n * e), _pool);
        if (w.PostFeedForwardNorm != null) NormalizeRows(b.H, n, w.PostFeedForwardNorm);
        Activations.Add(b.H.AsSpan(0, n * e), b.X.AsSpan(0, n * e));
    }

    private ForwardBuffers EnsureBuffers(int n)
    {
        if (_buffers.Capacity < n) _buffers = new ForwardBuffers(Math.Max(n, 2 * _buffers.Capacity), this);
        return _buffers;
    }

    /// <summary>Largest scratch any projection of this model needs for <paramref name="batch"/> rows.</summary>
    internal long MaxScratchBytes(int batch)
    {
        long max = _output.ScratchBytes(batch);
        foreach (var w in _layers)
            foreach (var m in w.Matrices)
                max = Math.Max(max, m.ScratchBytes(batch));
        return max;
    }

    /// <summary>Unmaps the model file.</summary>
    public void Dispose()
    {
        _repacked?.Dispose();
        _file.Dispose();
    }

    /// <summary>Activation buffers for batches of up to <see cref="Capacity"/> tokens.</summary>
    private sealed class ForwardBuffers
    {
        public readonly int Capacity;
        public readonly float[] X = [];      // [n, embd] residual stream
        public readonly float[] H = [];      // [n, max(embd, vocab-in)] normalised input / projection output
        public readonly float[] Q = [];      // [n, heads·headDim]
        public readonly float[] K = [];      // [n, kvHeads·headDim]
        public readonly float[] V = [];      // [n, kvHeads·headDim]
        public readonly float[] Attn = [];   // [n, heads·headDim]
        public readonly float[] Gate = [];   // [n, ff]
        public readonly float[] Up = [];     // [n, ff]
        public readonly float[] CosSin = []; // [ropeDims/2, 2]
        public readonly byte[] Scratch = []; // activation rows converted for the integer dot products

        public ForwardBuffers(int capacity, TransformerModel? model)
        {
            Capacity = capacity;
            if (model == null) return;
            var c = model.Config;
            X = new float[capacity * c.EmbeddingLength];
            H = new float[capacity * c.EmbeddingLength];
            Q = new float[capacity * c.QueryLength];
            K = new float[capacity * c.KvLength];
            V = new float[capacity * c.KvLength];
            Attn = new float[capacity * c.QueryLength];
            Gate = new float[capacity * c.FeedForwardLength];
            Up = new float[capacity * c.FeedForwardLength];
            CosSin = new float[c.RopeDimensions];
            Scratch = new byte[model.MaxScratchBytes(capacity)];
        }
    }
}
