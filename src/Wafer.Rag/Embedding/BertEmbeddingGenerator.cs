using Microsoft.Extensions.AI;
using Wafer.Models.Architectures;
using Wafer.Models.Tokenization;

namespace Wafer.Rag.Embedding;

/// <summary>An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> straight over a <see cref="BertModel"/>, for work with no
/// server or engine around it (<c>wafer index</c>): texts longer than the model's context are cut to it (a chunk is sized
/// well below it; a query rarely reaches it). One text at a time, on the calling thread and the model's worker pool.</summary>
public sealed class BertEmbeddingGenerator(BertModel model, Tokenizer tokenizer, string modelId) : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly EmbeddingGeneratorMetadata _metadata = new("wafer", null, modelId, model.EmbeddingLength);
    private readonly Lock _gate = new();

    /// <summary>Tokens of <paramref name="text"/> as the model reads it ([CLS] and [SEP] included).</summary>
    public int CountTokens(string text) => tokenizer.Encode(text, addSpecial: true, parseSpecial: false).Count;

    /// <inheritdoc/>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        if (options?.Dimensions is int d && d != model.EmbeddingLength)
            throw new ArgumentException($"{modelId} gives {model.EmbeddingLength} dimensions; Dimensions {d} is not supported here", nameof(options));
        var result = new GeneratedEmbeddings<Embedding<float>>();
        int tokens = 0;
        foreach (string text in values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ids = tokenizer.Encode(text, addSpecial: true, parseSpecial: false);
            int[] input = ids.Count <= model.ContextLength ? [.. ids] : [.. ids.Take(model.ContextLength - 1), ids[^1]]; // keep [SEP]
            tokens += input.Length;
            var vector = new float[model.EmbeddingLength];
            lock (_gate) model.Embed(input, vector);
            result.Add(new Embedding<float>(vector) { ModelId = modelId, CreatedAt = DateTimeOffset.UtcNow });
        }
        result.Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens };
        return Task.FromResult(result);
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey != null ? null : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata : serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
