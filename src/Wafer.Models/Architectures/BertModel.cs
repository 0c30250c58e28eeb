using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Gguf;

namespace Wafer.Models.Architectures;

/// <summary>A BERT-family encoder (GGUF architecture <c>bert</c>): sentence embeddings, pooled and L2-normalised, as
/// llama.cpp's <c>llama-embedding</c> computes them.</summary>
/// <remarks>
/// Step 1: x = token embedding + token-type-0 embedding + absolute position embedding, then LayerNorm.
/// Step 2: per layer (post-norm): Q, K, V with biases; attention over the whole sentence (not causal), 1/√d scaled;
/// the output projection with bias; x = LayerNorm(x + attention); x = LayerNorm(x + down(GELU(up(x) + b) ) + b).
/// Step 3: pooling as the GGUF says (<c>bert.pooling_type</c>: 1 mean over every token incl. [CLS]/[SEP], 2 the [CLS] row),
/// then L2 normalisation. GELU is ggml's: the tanh form, through half precision on the way in and out as ggml's table does.
/// Matrices go through the same kernels as the decoder models (activations quantized as ggml does for the weight type).
/// Several sentences per call share each matrix multiplication (<see cref="EmbedBatch"/>); the weights stay in the mapped file.
/// </remarks>
public sealed class BertModel : IDisposable
{
    private readonly GgufFile _file;
    private readonly WorkerPool _pool;
    private readonly WeightMatrix _tokenEmbedding;
    private readonly float[] _positions, _types, _embedNormWeight, _embedNormBias;
    private readonly Layer[] _layers;
    private readonly int _embd, _heads, _ff;
    private readonly float _eps;

    private sealed record Layer(WeightMatrix Q, float[] QBias, WeightMatrix K, float[] KBias, WeightMatrix V, float[] VBias,
        WeightMatrix Output, float[] OutputBias, float[] AttnNormWeight, float[] AttnNormBias,
        WeightMatrix Up, float[] UpBias, WeightMatrix Down, float[] DownBias, float[] OutNormWeight, float[] OutNormBias);

    private BertModel(GgufFile file, WorkerPool pool)
    {
        _file = file;
        _pool = pool;
        var m = file.Metadata;
        _embd = (int)m.GetInt64("bert.embedding_length");
        _heads = (int)m.GetInt64("bert.attention.head_count");
        _ff = (int)m.GetInt64("bert.feed_forward_length");
        int layers = (int)m.GetInt64("bert.block_count");
        ContextLength = (int)m.GetInt64OrDefault("bert.context_length", 512);
        _eps = (float)m.GetDoubleOrDefault("bert.attention.layer_norm_epsilon", 1e-12);
        Pooling = (int)m.GetInt64OrDefault("bert.pooling_type", 1) switch
        {
            2 => BertPooling.Cls,
            0 or 1 => BertPooling.Mean, // 0 = none: llama-embedding pools by mean unless told otherwise
            int other => throw new NotSupportedException($"model file '{Path.GetFileName(file.Path)}': bert.pooling_type {other} is not supported (1 mean, 2 CLS)"),
        };
        if (_embd % _heads != 0) throw new GgufFormatException($"model file '{Path.GetFileName(file.Path)}': embedding length {_embd} is not a multiple of {_heads} heads");
        int vocab = checked((int)file.GetTensor("token_embd.weight").Dimensions[1]);
        VocabSize = vocab;
        _tokenEmbedding = WeightMatrix.Load(file, "token_embd.weight", _embd, vocab);
        _positions = VectorLoader.Load(file, "position_embd.weight", _embd * ContextLength);
        int typeCount = checked((int)file.GetTensor("token_types.weight").Dimensions[1]);
        _types = VectorLoader.Load(file, "token_types.weight", _embd * typeCount);
        _embedNormWeight = VectorLoader.Load(file, "token_embd_norm.weight", _embd);
        _embedNormBias = VectorLoader.Load(file, "token_embd_norm.bias", _embd);
        _layers = new Layer[layers];
        for (int l = 0; l < layers; l++)
        {
            string p = $"blk.{l}.";
            WeightMatrix W(string name, int columns, int rows) => WeightMatrix.Load(file, p + name + ".weight", columns, rows);
            float[] B(string name, int length) => VectorLoader.Load(file, p + name, length);
            _layers[l] = new Layer(W("attn_q", _embd, _embd), B("attn_q.bias", _embd), W("attn_k", _embd, _embd), B("attn_k.bias", _embd),
                W("attn_v", _embd, _embd), B("attn_v.bias", _embd), W("attn_output", _embd, _embd), B("attn_output.bias", _embd),
                B("attn_output_norm.weight", _embd), B("attn_output_norm.bias", _embd),
                W("ffn_up", _embd, _ff), B("ffn_up.bias", _ff), W("ffn_down", _ff, _embd), B("ffn_down.bias", _embd),
                B("layer_output_norm.weight", _embd), B("layer_output_norm.bias", _embd));
        }
    }

    /// <summary>True when <paramref name="file"/> holds a BERT-family encoder.</summary>
    public static bool IsBert(GgufFile file) => file.Metadata.GetStringOrDefault("general.architecture") == "bert";

    /// <summary>Maps <paramref name="path"/> and binds its tensors.</summary>
    /// <exception cref="GgufFormatException">The file is not a BERT model or a tensor has the wrong shape.</exception>
    public static BertModel Load(string path, WorkerPool pool)
    {
        var file = GgufFile.Open(path);
        try
        {
            if (!IsBert(file))
                throw new GgufFormatException($"model file '{Path.GetFileName(path)}' is a '{file.Metadata.GetStringOrDefault("general.architecture")}' model, not a BERT embedding model");
            return new BertModel(file, pool);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The mapped file (metadata, tokenizer).</summary>
    public GgufFile File => _file;

    /// <summary>Dimensions of an embedding.</summary>
    public int EmbeddingLength => _embd;

    /// <summary>Most tokens one sentence may have (the position table's length).</summary>
    public int ContextLength { get; }

    /// <summary>Tokens in the vocabulary.</summary>
    public int VocabSize { get; }

    /// <summary>How token vectors become one sentence vector.</summary>
    public BertPooling Pooling { get; }

    /// <summary>Writes the L2-normalised embedding of one sentence's <paramref name="tokens"/> (with its [CLS] and [SEP]) to
    /// <paramref name="output"/> [<see cref="EmbeddingLength"/>].</summary>
    /// <exception cref="InvalidParameterException">The sentence is empty, longer than the context, or holds a token outside the vocabulary.</exception>
    public void Embed(ReadOnlySpan<int> tokens, Span<float> output) => EmbedBatch([tokens.ToArray()], output);

    /// <summary><see cref="EmbedBatch(IReadOnlyList{int[]}, Span{float})"/> with one vector per sentence.</summary>
    public float[][] EmbedBatch(IReadOnlyList<int[]> sentences)
    {
        int d = _embd;
        var all = new float[sentences.Count * d];
        EmbedBatch(sentences, all);
        var vectors = new float[sentences.Count][];
        for (int i = 0; i < vectors.Length; i++) vectors[i] = all[(i * d)..((i + 1) * d)];
        return vectors;
    }

    /// <summary>Writes the embeddings of several sentences to <paramref name="output"/> [sentences, <see cref="EmbeddingLength"/>]
    /// in one pass: every matrix multiplies the rows of all sentences at once (the weights are read once per batch, not once
    /// per sentence); attention stays within each sentence. Each sentence's vector is the one <see cref="Embed"/> gives it.</summary>
    /// <exception cref="InvalidParameterException">A sentence is empty, longer than the context, or holds a token outside the
    /// vocabulary (the message names its index when there are several).</exception>
    public void EmbedBatch(IReadOnlyList<int[]> sentences, Span<float> output)
    {
        int d = _embd, count = sentences.Count;
        if (output.Length < count * d) throw new ArgumentException($"output holds {output.Length} floats, {count * d} needed", nameof(output));
        var starts = new int[count + 1]; // sentence s holds rows starts[s] .. starts[s + 1]
        for (int s = 0; s < count; s++)
        {
            var tokens = sentences[s];
            string where = count == 1 ? "input" : $"input[{s}]";
            if (tokens.Length == 0) throw new InvalidParameterException(where, "nothing to embed: the text has no tokens");
            if (tokens.Length > ContextLength) throw new InvalidParameterException(where, $"the text has {tokens.Length} tokens; this model embeds at most {ContextLength}", "context_length_exceeded");
            foreach (int t in tokens)
                if ((uint)t >= (uint)VocabSize) throw new InvalidParameterException(where, $"token {t} is outside the vocabulary (0…{VocabSize - 1})");
            starts[s + 1] = checked(starts[s] + tokens.Length);
        }
        int n = starts[count];
        if (n == 0) return;

        // Step 1: x [n, d]
        var x = new float[n * d];
        var row = new float[d];
        for (int s = 0; s < count; s++)
            for (int i = 0; i < sentences[s].Length; i++)
            {
                _tokenEmbedding.ReadRow(sentences[s][i], row);
                var xi = x.AsSpan((starts[s] + i) * d, d);
                for (int c = 0; c < d; c++) xi[c] = row[c] + _types[c] + _positions[i * d + c];
                LayerNorm(xi, _embedNormWeight, _embedNormBias);
            }
        long scratchBytes = 0;
        foreach (var l in _layers)
            scratchBytes = Math.Max(scratchBytes, Math.Max(Math.Max(l.Q.ScratchBytes(n), l.Up.ScratchBytes(n)), l.Down.ScratchBytes(n)));
        var scratch = new byte[scratchBytes];
        var q = new float[n * d];          // [n, d]
        var k = new float[n * d];          // [n, d]
        var v = new float[n * d];          // [n, d]
        var attention = new float[n * d];  // [n, d]
        var projected = new float[n * d];  // [n, d]
        var up = new float[n * _ff];       // [n, ff]
        var scores = new float[ContextLength];
        int headDim = d / _heads;
        float scale = 1 / MathF.Sqrt(headDim);
        foreach (var l in _layers)
        {
            // Step 2: attention, every token of a sentence seeing every token of that sentence.
            Linear(l.Q, l.QBias, x, n, q, scratch);
            Linear(l.K, l.KBias, x, n, k, scratch);
            Linear(l.V, l.VBias, x, n, v, scratch);
            Array.Clear(attention);
            for (int s = 0; s < count; s++)
            {
                int first = starts[s], length = starts[s + 1] - first;
                for (int h = 0; h < _heads; h++)
                {
                    int offset = h * headDim;
                    // The sentence's keys and values of this head: rows of headDim values, d apart.
                    var keys = k.AsSpan(first * d + offset, (length - 1) * d + headDim);
                    var values = v.AsSpan(first * d + offset, (length - 1) * d + headDim);
                    var weights = scores.AsSpan(0, length);
                    for (int i = first; i < first + length; i++)
                    {
                        Wafer.Kernels.Ops.VectorMath.DotRows(q.AsSpan(i * d + offset, headDim), keys, d, scale, weights);
                        float max = Wafer.Kernels.Ops.VectorMath.Max(weights);
                        float total = 0;
                        for (int j = 0; j < length; j++) total += weights[j] = MathF.Exp(weights[j] - max);
                        Wafer.Kernels.Ops.VectorMath.Scale(weights, 1 / total);
                        Wafer.Kernels.Ops.VectorMath.MultiplyAddRows(values, d, weights, attention.AsSpan(i * d + offset, headDim));
                    }
                }
            }
            Linear(l.Output, l.OutputBias, attention, n, projected, scratch);
            for (int i = 0; i < n * d; i++) x[i] += projected[i];
            for (int i = 0; i < n; i++) LayerNorm(x.AsSpan(i * d, d), l.AttnNormWeight, l.AttnNormBias);
            // The feed-forward block, post-norm too.
            Linear(l.Up, l.UpBias, x, n, up, scratch);
            for (int i = 0; i < up.Length; i++) up[i] = Activations.Gelu(up[i]);
            Linear(l.Down, l.DownBias, up, n, projected, scratch);
            for (int i = 0; i < n * d; i++) x[i] += projected[i];
            for (int i = 0; i < n; i++) LayerNorm(x.AsSpan(i * d, d), l.OutNormWeight, l.OutNormBias);
        }
        // Step 3
        for (int s = 0; s < count; s++) Pool(x, starts[s], starts[s + 1] - starts[s], output.Slice(s * d, d));
    }

    // Pools a sentence's rows x[first .. first + length] into `pooled` [d] and L2-normalises it.
    private void Pool(float[] x, int first, int length, Span<float> pooled)
    {
        int d = _embd;
        pooled.Clear();
        if (Pooling == BertPooling.Cls) x.AsSpan(first * d, d).CopyTo(pooled);
        else
        {
            for (int i = first; i < first + length; i++)
                for (int c = 0; c < d; c++) pooled[c] += x[i * d + c];
            for (int c = 0; c < d; c++) pooled[c] /= length;
        }
        double norm = 0;
        foreach (float f in pooled) norm += (double)f * f;
        float inverse = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0;
        for (int c = 0; c < d; c++) pooled[c] *= inverse;
    }

    private void Linear(WeightMatrix w, float[] bias, float[] input, int n, float[] output, byte[] scratch)
    {
        w.Multiply(input.AsSpan(0, n * w.Columns), n, scratch, output.AsSpan(0, n * w.Rows), _pool);
        for (int i = 0; i < n; i++)
        {
            var o = output.AsSpan(i * w.Rows, w.Rows);
            for (int c = 0; c < o.Length; c++) o[c] += bias[c];
        }
    }

    private void LayerNorm(Span<float> x, float[] weight, float[] bias)
    {
        float mean = 0;
        foreach (float f in x) mean += f;
        mean /= x.Length;
        float variance = 0;
        foreach (float f in x) variance += (f - mean) * (f - mean);
        variance /= x.Length;
        float inverse = 1 / MathF.Sqrt(variance + _eps);
        for (int c = 0; c < x.Length; c++) x[c] = (x[c] - mean) * inverse * weight[c] + bias[c];
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>How a BERT model turns token vectors into one sentence vector.</summary>
public enum BertPooling
{
    /// <summary>The mean over every token, [CLS] and [SEP] included.</summary>
    Mean,
    /// <summary>The [CLS] token's vector.</summary>
    Cls,
}
