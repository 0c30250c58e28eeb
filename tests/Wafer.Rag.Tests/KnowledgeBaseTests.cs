using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Tokenization;
using Wafer.Rag.Store;

namespace Wafer.Rag.Tests;

/// <summary>A knowledge base over a real corpus: this repository's own docs/*.md, embedded by the synthetic BERT fixture
/// (random weights: its vectors find a text identical to the query, not meaning; BM25 carries the topical tests).</summary>
public sealed class KnowledgeBaseTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-kb-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (KnowledgeBase Kb, WorkerPool Pool, BertModel Model) Open(string name = "synth-bert")
    {
        var pool = new WorkerPool(2);
        var model = BertModel.Load(Fixtures.Path("models/synth-bert-2L-128-F16.gguf"), pool);
        try
        {
            var tokenizer = Tokenizer.FromMetadata(model.File.Metadata, "bert");
            var embedder = Wafer.Engine.Chat.WaferEmbeddingGenerator.Direct(model, tokenizer, name);
            return (KnowledgeBase.Open(Path.Combine(_dir, "kb.sqlite"), embedder, name, model.EmbeddingLength, embedder.CountTokens, chunkTokens: 128), pool, model);
        }
        catch
        {
            model.Dispose();
            pool.Dispose();
            throw;
        }
    }

    private string Corpus()
    {
        string corpus = Path.Combine(_dir, "corpus");
        Directory.CreateDirectory(Path.Combine(corpus, "more"));
        foreach (var file in Directory.GetFiles(Repository.Docs, "*.md"))
            File.Copy(file, Path.Combine(Path.GetFileName(file) == "router.md" ? Path.Combine(corpus, "more") : corpus, Path.GetFileName(file)));
        return corpus;
    }

    /// <summary>With the exact scan (thresholds above the corpus), the 8-bit scan, and the graph index (threshold 1: built at
    /// the first search, saved, and brought up to date after each change).</summary>
    [Theory]
    [InlineData("exact")]
    [InlineData("sq8-scan")]
    [InlineData("hnsw")]
    public async Task Ingest_Search_Reingest_Change_Filter_Remove(string method)
    {
        string corpus = Corpus();
        var (kb, pool, model) = Open();
        using var _ = pool;
        using var __ = model;
        using var ___ = kb;
        kb.ScanThreshold = method == "exact" ? int.MaxValue : 1;
        kb.GraphThreshold = method == "hnsw" ? 1 : int.MaxValue;
        int files = Directory.GetFiles(corpus, "*.md", SearchOption.AllDirectories).Length;

        var first = await kb.AddAsync([corpus]);
        Assert.Equal((files, 0, 0), (first.Added, first.Replaced, first.Unchanged));
        Assert.True(first.ChunksEmbedded > files);
        Assert.Equal(first.ChunksEmbedded, kb.ChunkCount);

        // BM25 finds the router's document for the router's words; the fused list has it near the top.
        var hits = await kb.SearchAsync("cascade tiers and circuit breaker", k: 5);
        Assert.EndsWith("router.md", hits.Where(h => h.Bm25 != null).OrderByDescending(h => h.Bm25).First().Path);
        Assert.Contains(hits.Take(3), h => h.Path.EndsWith("router.md", StringComparison.Ordinal));
        // A chunk's own text is its nearest vector.
        var chunk = hits[0];
        var exact = await kb.SearchAsync(chunk.Text, k: 3);
        Assert.Equal(chunk.ChunkId, exact.OrderByDescending(h => h.Similarity ?? -1).First().ChunkId);
        Assert.InRange(exact.Max(h => h.Similarity ?? -1)!, 0.9999, 1.0001);
        Assert.Equal(method, kb.VectorSearchKind);
        Assert.Equal(method == "hnsw", File.Exists(kb.IndexPath));

        // Unchanged files are skipped: nothing re-embedded.
        var again = await kb.AddAsync([corpus]);
        Assert.Equal((0, 0, files, 0), (again.Added, again.Replaced, again.Unchanged, again.ChunksEmbedded));

        // One changed file: only its chunks are replaced.
        string changed = Path.Combine(corpus, "more", "router.md");
        var before = kb.List().ToDictionary(d => d.Path);
        await File.AppendAllTextAsync(changed, "\n\n## Zebra section\n\nA paragraph about zebras and quokkas.\n");
        var oldChunks = (await kb.SearchAsync("cascade tiers and circuit breaker", k: 50, pathPrefix: changed)).Select(h => h.ChunkId).ToHashSet();
        var third = await kb.AddAsync([corpus]);
        Assert.Equal((0, 1, files - 1), (third.Added, third.Replaced, third.Unchanged));
        Assert.Equal(kb.List().Single(d => d.Path == changed).Chunks, third.ChunksEmbedded);
        Assert.All(kb.List().Where(d => d.Path != changed), d => Assert.Equal(before[d.Path].Hash, d.Hash));
        var zebra = await kb.SearchAsync("quokkas", k: 3);
        Assert.Equal("Zebra section", zebra.First(h => h.Bm25 != null).Heading);
        // The replaced chunks are gone from the vector search too (the index walks through them, never returns them).
        var zebraChunk = zebra.First(h => h.Bm25 != null);
        var nearest = await kb.SearchAsync(zebraChunk.Text, k: 20);
        Assert.Equal(zebraChunk.ChunkId, nearest.OrderByDescending(h => h.Similarity ?? -1).First().ChunkId);
        Assert.DoesNotContain(nearest, h => oldChunks.Contains(h.ChunkId));

        // Filters by source path prefix.
        var filtered = await kb.SearchAsync("benchmarks tokens per second", k: 10, pathPrefix: Path.Combine(corpus, "more"));
        Assert.NotEmpty(filtered);
        Assert.All(filtered, h => Assert.StartsWith(Path.Combine(corpus, "more"), h.Path));

        // Removal.
        Assert.Equal(1, kb.Remove(changed));
        Assert.DoesNotContain(kb.List(), d => d.Path == changed);
        Assert.DoesNotContain(await kb.SearchAsync("quokkas", k: 5), h => h.Path == changed);
        Assert.Equal(files - 1, kb.Remove(corpus));
        Assert.Equal(0, kb.ChunkCount);
    }

    [Fact]
    public async Task OpenWithAnotherModel_Refused()
    {
        var (kb, pool, model) = Open();
        using (pool)
        using (model)
        using (kb)
            await kb.AddAsync([Path.Combine(Repository.Docs, "router.md")]);
        var e = Assert.Throws<InvalidOperationException>(() => Open("another-model"));
        Assert.Contains("synth-bert", e.Message);
    }
}
