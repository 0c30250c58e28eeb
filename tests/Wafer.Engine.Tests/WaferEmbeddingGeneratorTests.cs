using Microsoft.Extensions.AI;
using Wafer.Engine.Scheduling;

namespace Wafer.Engine.Tests;

public class WaferEmbeddingGeneratorTests
{
    [Fact]
    public async Task GenerateAsync_Texts_UnitVectorsOfEmbeddingWidth_SameTextSameVector()
    {
        await using var model = LocalModel.Load(Fixtures.Path(EngineFixture.ModelFile),
            new EngineOptions { Scheduler = new SchedulerOptions { ContextLength = 256, MaxSequences = 2 }, KvCacheTokens = 512 }, threads: 2);
        var generator = model.AsEmbeddingGenerator();

        var embeddings = await generator.GenerateAsync(["Lily played in the park.", "Lily played in the park.", "The dragon ate a red apple."]);

        Assert.Equal(3, embeddings.Count);
        Assert.All(embeddings, e => Assert.Equal(model.Model.Config.EmbeddingLength, e.Vector.Length));
        Assert.All(embeddings, e => Assert.Equal(1.0, Math.Sqrt(e.Vector.ToArray().Sum(v => (double)v * v)), 4));
        Assert.Equal(embeddings[0].Vector.ToArray(), embeddings[1].Vector.ToArray());
        Assert.NotEqual(embeddings[0].Vector.ToArray(), embeddings[2].Vector.ToArray());
        Assert.True(embeddings.Usage!.InputTokenCount > 10);
        Assert.Equal(64, generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
    }

    [Fact]
    public async Task EmbedAsync_WhileGenerating_BothComplete()
    {
        await using var model = LocalModel.Load(Fixtures.Path(EngineFixture.ModelFile),
            new EngineOptions { Scheduler = new SchedulerOptions { ContextLength = 256, MaxSequences = 2 }, KvCacheTokens = 512 }, threads: 2);
        var generation = EngineFixture.Collect(model.Engine, new Requests.GenerationRequest { PromptTokens = [1, 403, 407], MaxTokens = 30 });
        var vector = await model.Engine.EmbedAsync([1, 403, 407, 261, 378]);
        var events = await generation;
        Assert.Equal(64, vector.Length);
        Assert.Equal(30, events.Count);
    }

    /// <summary>With a BERT embedding model loaded beside the chat model, the generator gives its sentence embeddings (llama.cpp's
    /// golden vectors, cosine ≥ 0.999), and Dimensions truncates and renormalises; more dimensions than the model has is refused.</summary>
    [Fact]
    public async Task GenerateAsync_WithEncoder_GoldenEmbeddingsAndDimensions()
    {
        await using var model = LocalModel.Load(Fixtures.Path(EngineFixture.ModelFile),
            new EngineOptions { Scheduler = new SchedulerOptions { ContextLength = 256, MaxSequences = 2 }, KvCacheTokens = 512 }, threads: 2);
        model.LoadEncoder(Fixtures.Path("models/synth-bert-2L-128-Q8_0.gguf"));
        var generator = model.AsEmbeddingGenerator();
        using var golden = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden/embeddings.json")));
        string sentence = golden.RootElement.GetProperty("sentences")[3].GetString()!;
        float[] expected = [.. golden.RootElement.GetProperty("models").EnumerateArray()
            .First(m => m.GetProperty("file").GetString() == "models/synth-bert-2L-128-Q8_0.gguf").GetProperty("embeddings")[3].EnumerateArray().Select(v => v.GetSingle())];
        var full = (await generator.GenerateAsync([sentence]))[0].Vector.ToArray();
        Assert.Equal(128, full.Length);
        double dot = 0;
        for (int i = 0; i < full.Length; i++) dot += full[i] * expected[i];
        Assert.True(dot >= 0.999, $"cosine {dot:F6}");
        var shorter = (await generator.GenerateAsync([sentence], new EmbeddingGenerationOptions { Dimensions = 16 }))[0].Vector.ToArray();
        Assert.Equal(16, shorter.Length);
        Assert.Equal(1.0, Math.Sqrt(shorter.Sum(v => (double)v * v)), 4);
        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync([sentence], new EmbeddingGenerationOptions { Dimensions = 129 }));
        Assert.Equal(128, generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
    }

    /// <summary>Many texts go to the engine as batches of up to EmbedBatchTokens tokens (each batch one pass between two steps,
    /// while a generation runs), and each vector is the one the text gets alone.</summary>
    [Fact]
    public async Task GenerateAsync_ManyTextsWithEncoder_BatchedBetweenStepsSameVectors()
    {
        await using var model = LocalModel.Load(Fixtures.Path(EngineFixture.ModelFile),
            new EngineOptions { Scheduler = new SchedulerOptions { ContextLength = 256, MaxSequences = 2 }, KvCacheTokens = 512 }, threads: 2);
        model.LoadEncoder(Fixtures.Path("models/synth-bert-2L-128-F16.gguf"));
        var generator = model.AsEmbeddingGenerator();
        string text = string.Join(' ', Enumerable.Repeat("the quick brown fox jumps over the lazy dog", 12));
        var texts = Enumerable.Range(0, 40).Select(i => $"{i} {text}").ToList();
        var generation = EngineFixture.Collect(model.Engine, new Requests.GenerationRequest { PromptTokens = [1, 403, 407], MaxTokens = 30 });
        long before = model.Engine.EmbedBatchCount;
        var batched = await generator.GenerateAsync(texts);
        long batches = model.Engine.EmbedBatchCount - before;
        Assert.Equal(30, (await generation).Count);
        int tokens = (int)batched.Usage!.InputTokenCount!;
        Assert.InRange(batches, (tokens + InferenceEngine.EmbedBatchTokens - 1) / InferenceEngine.EmbedBatchTokens, texts.Count - 1);
        foreach (int i in new[] { 0, 17, 39 })
        {
            var alone = (await generator.GenerateAsync([texts[i]]))[0].Vector.ToArray();
            var inBatch = batched[i].Vector.ToArray();
            for (int c = 0; c < alone.Length; c++) Assert.True(Math.Abs(alone[c] - inBatch[c]) <= 1e-5f);
        }
    }
}
