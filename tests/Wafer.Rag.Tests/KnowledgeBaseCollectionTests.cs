using Microsoft.Extensions.VectorData;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Tokenization;
using Wafer.Rag.Store;

namespace Wafer.Rag.Tests;

/// <summary>The knowledge base through the <c>Microsoft.Extensions.VectorData</c> abstractions: written and searched as a
/// <see cref="VectorStoreCollection{TKey, TRecord}"/>, read back by the knowledge base itself.</summary>
public sealed class KnowledgeBaseCollectionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-vectordata-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Upsert_Get_Search_Filter_Delete_SameFileAsTheKnowledgeBase()
    {
        using var pool = new WorkerPool(2);
        using var model = BertModel.Load(Fixtures.Path("models/synth-bert-2L-128-F16.gguf"), pool);
        var embedder = Wafer.Engine.Chat.WaferEmbeddingGenerator.Direct(model, Tokenizer.FromMetadata(model.File.Metadata, "bert"), "synth-bert");
        using var kb = KnowledgeBase.Open(Path.Combine(_dir, "notes.sqlite"), embedder, "synth-bert", model.EmbeddingLength, embedder.CountTokens);
        VectorStoreCollection<long, KnowledgeChunk> collection = new KnowledgeBaseCollection(kb);
        Assert.Equal("notes", collection.Name);
        await collection.EnsureCollectionExistsAsync(TestContext.Current.CancellationToken);

        var records = new[]
        {
            new KnowledgeChunk { Path = "/notes/penguins.md", Title = "Penguins", Text = "Emperor penguins huddle through the antarctic winter." },
            new KnowledgeChunk { Path = "/notes/penguins.md", Title = "Penguins", Text = "Chicks hatch in July and ride on their parents' feet.", Start = 60, End = 115 },
            new KnowledgeChunk { Path = "/notes/volcano.md", Title = "Volcanoes", Text = "Basalt lava flows far before it cools." },
        };
        await collection.UpsertAsync(records, TestContext.Current.CancellationToken);
        Assert.All(records, r => Assert.True(r.Id > 0));
        Assert.All(records, r => Assert.Equal(model.EmbeddingLength, r.Embedding!.Value.Length)); // embedded by the model
        Assert.Equal(3, kb.ChunkCount);
        Assert.Equal(["/notes/penguins.md", "/notes/volcano.md"], kb.List().Select(d => d.Path));

        var got = await collection.GetAsync(records[1].Id, new RecordRetrievalOptions { IncludeVectors = true }, TestContext.Current.CancellationToken);
        Assert.NotNull(got);
        Assert.Equal((records[1].Text, 60, 115, "Penguins"), (got.Text, got.Start, got.End, got.Title));
        Assert.Equal(records[1].Embedding!.Value.ToArray(), got.Embedding!.Value.ToArray());
        Assert.Null((await collection.GetAsync(records[0].Id, cancellationToken: TestContext.Current.CancellationToken))!.Embedding);

        // A text's own chunk is its nearest neighbour (cosine ≈ 1); a filter keeps the search to one document.
        var nearest = await collection.SearchAsync(records[2].Text, 2, cancellationToken: TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(records[2].Id, nearest[0].Record.Id);
        Assert.InRange(nearest[0].Score!.Value, 0.9999, 1.0001);
        var filtered = await collection.SearchAsync(records[2].Embedding!.Value, 3, new VectorSearchOptions<KnowledgeChunk> { Filter = r => r.Path == "/notes/penguins.md" },
            TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, filtered.Count);
        Assert.All(filtered, r => Assert.Equal("/notes/penguins.md", r.Record.Path));
        var byFilter = await collection.GetAsync(r => r.Title == "Volcanoes", 10, cancellationToken: TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(records[2].Id, Assert.Single(byFilter).Id);

        // The knowledge base's own hybrid search finds what the collection wrote; an update replaces the text.
        Assert.Equal(records[0].Id, (await kb.SearchAsync("antarctic huddle", 1, cancellationToken: TestContext.Current.CancellationToken))[0].ChunkId);
        records[0].Text = "Emperor penguins dive for krill.";
        records[0].Embedding = null;
        await collection.UpsertAsync(records[0], TestContext.Current.CancellationToken);
        Assert.Equal(3, kb.ChunkCount);
        Assert.Equal(records[0].Id, (await kb.SearchAsync("krill", 1, cancellationToken: TestContext.Current.CancellationToken))[0].ChunkId);

        await collection.DeleteAsync(records[2].Id, TestContext.Current.CancellationToken);
        Assert.Equal(["/notes/penguins.md"], kb.List().Select(d => d.Path)); // the document went with its last chunk
        Assert.Null(await collection.GetAsync(records[2].Id, cancellationToken: TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<NotSupportedException>(async () => await collection.SearchAsync(42, 1).ToListAsync());
        await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(new KnowledgeChunk { Text = "no path" }));
        Assert.Same(kb, collection.GetService(typeof(KnowledgeBase)));
        await collection.EnsureCollectionDeletedAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, kb.ChunkCount);
    }
}
