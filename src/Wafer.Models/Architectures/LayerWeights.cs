using Wafer.Models.Gguf;

namespace Wafer.Models.Architectures;

/// <summary>The weights of one transformer block.</summary>
public sealed class LayerWeights
{
    public required float[] AttentionNorm { get; init; }       // [embd]
    public required WeightMatrix Query { get; init; }          // [embd → heads·headDim]
    public required WeightMatrix Key { get; init; }            // [embd → kvHeads·headDim]
    public required WeightMatrix Value { get; init; }          // [embd → kvHeads·headDim]
    public float[]? QueryBias { get; init; }                   // [heads·headDim] (qwen2)
    public float[]? KeyBias { get; init; }                     // [kvHeads·headDim]
    public float[]? ValueBias { get; init; }                   // [kvHeads·headDim]
    public float[]? QueryNorm { get; init; }                   // [headDim] (qwen3)
    public float[]? KeyNorm { get; init; }                     // [headDim]
    public required WeightMatrix Output { get; init; }         // [heads·headDim → embd]
    public float[]? PostAttentionNorm { get; init; }           // [embd] (gemma: RMSNorm of the attention output before the residual)
    public required float[] FeedForwardNorm { get; init; }     // [embd]
    public float[]? PostFeedForwardNorm { get; init; }         // [embd] (gemma)
    public required WeightMatrix Gate { get; init; }           // [embd → ff]
    public required WeightMatrix Up { get; init; }             // [embd → ff]
    public required WeightMatrix Down { get; init; }           // [ff → embd]

    /// <summary>The block's seven weight matrices.</summary>
    public IEnumerable<WeightMatrix> Matrices => [Query, Key, Value, Output, Gate, Up, Down];

    /// <summary>Binds block <paramref name="layer"/> of <paramref name="file"/>. A fused attn_qkv (Phi-3) is bound as its three row
    /// blocks q, k, v; a fused ffn_up of 2·ff rows without ffn_gate (Phi-3) as gate (the first ff rows, which the SiLU takes, as
    /// ggml_swiglu does) and up.</summary>
    public static LayerWeights Load(GgufFile file, ModelConfig c, int layer)
    {
        string N(string suffix) => GgufNames.Block(layer, suffix);
        WeightMatrix M(string suffix, int columns, int rows) => WeightMatrix.Load(file, N(suffix), columns, rows);
        float[]? Optional(string suffix, int length) => file.TryGetTensor(N(suffix), out _) ? VectorLoader.Load(file, N(suffix), length) : null;
        int e = c.EmbeddingLength, q = c.QueryLength, kv = c.KvLength, f = c.FeedForwardLength;
        bool fusedQkv = file.TryGetTensor(N(GgufNames.AttentionQkv), out _);
        WeightMatrix Qkv(int first, int rows) => WeightMatrix.LoadRows(file, N(GgufNames.AttentionQkv), e, q + 2 * kv, first, rows);
        bool fusedUp = !file.TryGetTensor(N(GgufNames.FeedForwardGate), out _) && c.Architecture == "phi3";
        WeightMatrix GateUp(int first) => WeightMatrix.LoadRows(file, N(GgufNames.FeedForwardUp), e, 2 * f, first, f);
        // Gemma's post-norms are part of its block (llama.cpp requires them too): a file without them is refused, not run without.
        bool gemma = c.Architecture is "gemma2" or "gemma3";
        float[]? PostNorm(string suffix) => gemma ? VectorLoader.Load(file, N(suffix), e) : Optional(suffix, e);
        return new LayerWeights
        {
            AttentionNorm = VectorLoader.Load(file, N(GgufNames.AttentionNorm), c.EmbeddingLength),
            Query = fusedQkv ? Qkv(0, q) : M(GgufNames.AttentionQ, e, q),
            Key = fusedQkv ? Qkv(q, kv) : M(GgufNames.AttentionK, e, kv),
            Value = fusedQkv ? Qkv(q + kv, kv) : M(GgufNames.AttentionV, e, kv),
            QueryBias = Optional(GgufNames.AttentionQBias, c.QueryLength),
            KeyBias = Optional(GgufNames.AttentionKBias, c.KvLength),
            ValueBias = Optional(GgufNames.AttentionVBias, c.KvLength),
            QueryNorm = Optional(GgufNames.AttentionQNorm, c.HeadDim),
            KeyNorm = Optional(GgufNames.AttentionKNorm, c.HeadDim),
            Output = M(GgufNames.AttentionOutput, c.QueryLength, c.EmbeddingLength),
            PostAttentionNorm = PostNorm(GgufNames.AttentionPostNorm),
            FeedForwardNorm = VectorLoader.Load(file, N(GgufNames.FeedForwardNorm), c.EmbeddingLength),
            PostFeedForwardNorm = PostNorm(GgufNames.FeedForwardPostNorm),
            Gate = fusedUp ? GateUp(0) : M(GgufNames.FeedForwardGate, e, f),
            Up = fusedUp ? GateUp(f) : M(GgufNames.FeedForwardUp, e, f),
            Down = M(GgufNames.FeedForwardDown, c.FeedForwardLength, c.EmbeddingLength),
        };
    }
}
