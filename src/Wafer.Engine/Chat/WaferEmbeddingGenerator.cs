using Microsoft.Extensions.AI;
using Wafer.Models.Tokenization;

namespace Wafer.Engine.Chat;

/// <summary>A Microsoft.Extensions.AI <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over an in-process engine: the
/// BERT-family <paramref name="encoder"/>'s sentence embeddings when given, else mean-pooled, L2-normalised final hidden
/// states of the served model. <see cref="EmbeddingGenerationOptions.Dimensions"/> keeps the first N and renormalises.</summary>
/// <remarks>Meant for embedding models; over a chat model it works but gives the weaker embeddings decoder models give.</remarks>
public sealed class WaferEmbeddingGenerator(InferenceEngine engine, Tokenizer tokenizer, string modelId, Wafer.Models.Architectures.BertModel? encoder = null)
    : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly EmbeddingGeneratorMetadata _metadata = new("wafer", null, modelId, encoder?.EmbeddingLength ?? engine.Model.Config.EmbeddingLength);

    /// <inheritdoc/>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        int length = _metadata.DefaultModelDimensions!.Value;
        int dimensions = options?.Dimensions ?? length;
        if (dimensions < 1 || dimensions > length)
            throw new ArgumentException($"Dimensions must be in 1…{length} for {modelId}, got {dimensions}", nameof(options));
        var result = new GeneratedEmbeddings<Embedding<float>>();
        int tokens = 0;
        foreach (string text in values)
        {
            var ids = tokenizer.Encode(text, addSpecial: true, parseSpecial: false);
            tokens += ids.Count;
            var vector = encoder != null ? await engine.EmbedAsync(ids, encoder, cancellationToken).ConfigureAwait(false)
                : await engine.EmbedAsync(ids, cancellationToken).ConfigureAwait(false);
            vector = Truncate(vector, dimensions);
            result.Add(new Embedding<float>(vector) { ModelId = modelId, CreatedAt = DateTimeOffset.UtcNow });
        }
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
