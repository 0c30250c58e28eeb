using Microsoft.Extensions.AI;
using Wafer.Models.Architectures;
using Wafer.Models.Tokenization;

namespace Wafer.Engine.Chat;

/// <summary>A Microsoft.Extensions.AI <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over an in-process engine: the
/// BERT-family encoder's sentence embeddings when given, else mean-pooled, L2-normalised final hidden states of the served
/// model; or, with <see cref="Direct"/>, straight over a BERT model with no engine around it (<c>wafer index</c>).
/// <see cref="EmbeddingGenerationOptions.Dimensions"/> keeps the first N and renormalises.</summary>
/// <remarks>Meant for embedding models; over a chat model it works but gives the weaker embeddings decoder models give.</remarks>
public sealed class WaferEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly Func<IReadOnlyList<IReadOnlyList<int>>, CancellationToken, Task<float[][]>> _embed;
    private readonly Tokenizer _tokenizer;
    private readonly string _modelId;
    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <summary>Embeds through <paramref name="engine"/>: with <paramref name="encoder"/>, its sentence embeddings, else the
    /// engine's model's mean-pooled hidden states.</summary>
    public WaferEmbeddingGenerator(InferenceEngine engine, Tokenizer tokenizer, string modelId, BertModel? encoder = null)
        : this(encoder != null ? (sentences, ct) => engine.EmbedAsync(sentences, encoder, ct) : (sentences, ct) => EachAsync(engine, sentences, ct), tokenizer, modelId,
            encoder?.EmbeddingLength ?? engine.Model.Config.EmbeddingLength)
    {
    }

    private static async Task<float[][]> EachAsync(InferenceEngine engine, IReadOnlyList<IReadOnlyList<int>> sentences, CancellationToken ct)
    {
        var vectors = new float[sentences.Count][];
        for (int i = 0; i < vectors.Length; i++) vectors[i] = await engine.EmbedAsync(sentences[i], ct).ConfigureAwait(false);
        return vectors;
    }

    private WaferEmbeddingGenerator(Func<IReadOnlyList<IReadOnlyList<int>>, CancellationToken, Task<float[][]>> embed, Tokenizer tokenizer, string modelId, int width)
    {
        _embed = embed;
        _tokenizer = tokenizer;
        _modelId = modelId;
        _metadata = new EmbeddingGeneratorMetadata("wafer", null, modelId, width);
    }

    /// <summary>Embeds straight with <paramref name="model"/> on the calling thread and the model's worker pool, in batches of up
    /// to <see cref="InferenceEngine.EmbedBatchTokens"/> tokens; a text longer than the model's context is cut to it, keeping
    /// its final [SEP] (a chunk is sized well below the context; a query rarely reaches it).</summary>
    public static WaferEmbeddingGenerator Direct(BertModel model, Tokenizer tokenizer, string modelId)
    {
        var gate = new Lock();
        return new WaferEmbeddingGenerator((sentences, ct) =>
        {
            var inputs = sentences.Select(ids => ids.Count <= model.ContextLength ? [.. ids] : (int[])[.. ids.Take(model.ContextLength - 1), ids[^1]]).ToList();
            var vectors = new List<float[]>(inputs.Count);
            foreach (var (start, count) in InferenceEngine.EmbedBatches(inputs.Select(i => i.Length).ToList()))
            {
                ct.ThrowIfCancellationRequested();
                lock (gate) vectors.AddRange(model.EmbedBatch(inputs.GetRange(start, count)));
            }
            return Task.FromResult(vectors.ToArray());
        }, tokenizer, modelId, model.EmbeddingLength);
    }

    /// <summary>Tokens of <paramref name="text"/> as the model reads it (special tokens included): what chunk budgets count.</summary>
    public int CountTokens(string text) => _tokenizer.Encode(text, addSpecial: true, parseSpecial: false).Count;

    /// <inheritdoc/>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        int length = _metadata.DefaultModelDimensions!.Value;
        int dimensions = options?.Dimensions ?? length;
        if (dimensions < 1 || dimensions > length)
            throw new ArgumentException($"Dimensions must be in 1…{length} for {_modelId}, got {dimensions}", nameof(options));
        var result = new GeneratedEmbeddings<Embedding<float>>();
        var sentences = values.Select(text => _tokenizer.Encode(text, addSpecial: true, parseSpecial: false)).ToList();
        int tokens = sentences.Sum(s => s.Count);
        foreach (var vector in await _embed(sentences, cancellationToken).ConfigureAwait(false))
            result.Add(new Embedding<float>(Truncate(vector, dimensions)) { ModelId = _modelId, CreatedAt = DateTimeOffset.UtcNow });
        result.Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens };
        return result;
    }

    /// <summary>OpenAI's <c>dimensions</c>: the first <paramref name="dimensions"/> components of a unit vector, renormalised
    /// (the vector itself when it is no longer).</summary>
    public static float[] Truncate(float[] vector, int dimensions)
    {
        if (dimensions >= vector.Length) return vector;
        var head = vector[..dimensions];
        double norm = 0;
        foreach (float f in head) norm += (double)f * f;
        float inverse = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0;
        for (int i = 0; i < head.Length; i++) head[i] *= inverse;
        return head;
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey != null ? null
        : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
