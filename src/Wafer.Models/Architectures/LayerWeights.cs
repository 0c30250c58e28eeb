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
    public required float[] FeedForwardNorm { get; init; }     // [embd]
    public required WeightMatrix Gate { get; init; }           // [embd → ff]
    public required WeightMatrix Up { get; init; }             // [embd → ff]
    public required WeightMatrix Down { get; init; }           // [ff → embd]

    /// <summary>The block's seven weight matrices.</summary>
    public IEnumerable<WeightMatrix> Matrices => [Query, Key, Value, Output, Gate, Up, Down];

    /// <summary>Binds block <paramref name="layer"/> of <paramref name="file"/>.</summary>
    public static LayerWeights Load(GgufFile file, ModelConfig c, int layer)
    {
        string N(string suffix) => GgufNames.Block(layer, suffix);
        WeightMatrix M(string suffix, int columns, int rows) => WeightMatrix.Load(file, N(suffix), columns, rows);
        float[]? Optional(string suffix, int length) => file.TryGetTensor(N(suffix), out _) ? VectorLoader.Load(file, N(suffix), length) : null;
        return new LayerWeights
        {
            AttentionNorm = VectorLoader.Load(file, N(GgufNames.AttentionNorm), c.EmbeddingLength),
            Query = M(GgufNames.AttentionQ, c.EmbeddingLength, c.QueryLength),
            Key = M(GgufNames.AttentionK, c.EmbeddingLength, c.KvLength),
            Value = M(GgufNames.AttentionV, c.EmbeddingLength, c.KvLength),
            QueryBias = Optional(GgufNames.AttentionQBias, c.QueryLength),
            KeyBias = Optional(GgufNames.AttentionKBias, c.KvLength),
            ValueBias = Optional(GgufNames.AttentionVBias, c.KvLength),
            QueryNorm = Optional(GgufNames.AttentionQNorm, c.HeadDim),
            KeyNorm = Optional(GgufNames.AttentionKNorm, c.HeadDim),
            Output = M(GgufNames.AttentionOutput, c.QueryLength, c.EmbeddingLength),
            FeedForwardNorm = VectorLoader.Load(file, N(GgufNames.FeedForwardNorm), c.EmbeddingLength),
            Gate = M(GgufNames.FeedForwardGate, c.EmbeddingLength, c.FeedForwardLength),
            Up = M(GgufNames.FeedForwardUp, c.EmbeddingLength, c.FeedForwardLength),
            Down = M(GgufNames.FeedForwardDown, c.FeedForwardLength, c.EmbeddingLength),
        };
    }
}
