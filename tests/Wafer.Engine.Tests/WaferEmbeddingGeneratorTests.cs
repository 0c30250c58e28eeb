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
}
