using Microsoft.Extensions.AI;
using Wafer.Models.Tokenization;

namespace Wafer.Engine.Chat;

/// <summary>A Microsoft.Extensions.AI <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over an in-process engine: mean-pooled,
/// L2-normalised final hidden states of the served model.</summary>
/// <remarks>Meant for embedding models; over a chat model it works but gives the weaker embeddings decoder models give.</remarks>
public sealed class WaferEmbeddingGenerator(InferenceEngine engine, Tokenizer tokenizer, string modelId) : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly EmbeddingGeneratorMetadata _metadata = new("wafer", null, modelId, engine.Model.Config.EmbeddingLength);

    /// <inheritdoc/>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        int tokens = 0;
        foreach (string text in values)
        {
            var ids = tokenizer.Encode(text, addSpecial: true, parseSpecial: false);
            tokens += ids.Count;
            var vector = await engine.EmbedAsync(ids, cancellationToken).ConfigureAwait(false);
            result.Add(new Embedding<float>(vector) { ModelId = modelId, CreatedAt = DateTimeOffset.UtcNow });
        }
        result.Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens };
        return result;
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
