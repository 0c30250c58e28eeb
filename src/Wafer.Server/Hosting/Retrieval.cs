using System.Diagnostics;
using Wafer.Engine;
using Wafer.Rag.Store;

namespace Wafer.Server.Hosting;

/// <summary>The served knowledge base (<c>wafer serve --kb kb.sqlite --embed-model E.gguf</c>): searches one at a time (one
/// SQLite connection), queries embedded by the embedding model on the engine thread, timed into the metrics.</summary>
public sealed class Retrieval : IDisposable
{
    private readonly KnowledgeBase _kb;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ServerMetrics _metrics;

    private Retrieval(string id, KnowledgeBase kb, ServerMetrics metrics)
    {
        Id = id;
        _kb = kb;
        _metrics = metrics;
        metrics.KnowledgeBaseChunks = kb.ChunkCount;
    }

    /// <summary>Opens <paramref name="path"/> (it must exist: build it with <c>wafer index add</c>) with <paramref name="model"/>'s
    /// embedding model, which must be the one the knowledge base was built with.</summary>
    public static Retrieval Open(string path, LocalModel model, ServerMetrics metrics)
    {
        if (model.Encoder is not { } encoder) throw new ArgumentException("--kb needs --embed-model: the embedding model the knowledge base was built with");
        if (!File.Exists(path)) throw new FileNotFoundException($"--kb '{path}' does not exist; build it with wafer index add --db {path} --embed-model … PATH…");
        var embedder = new Wafer.Engine.Chat.WaferEmbeddingGenerator(model.Engine, encoder.Tokenizer, encoder.Name, encoder.Model);
        var kb = KnowledgeBase.Open(path, embedder, encoder.Name, encoder.Model.EmbeddingLength, embedder.CountTokens);
        try
        {
            kb.Vectors(); // the vectors (and, for a large knowledge base, its graph index) load before the server says it is ready
        }
        catch
        {
            kb.Dispose();
            throw;
        }
        return new Retrieval(Path.GetFileNameWithoutExtension(path), kb, metrics);
    }

    /// <summary>The knowledge base's name (its file name without extension): the one vector store id requests may name.</summary>
    public string Id { get; }

    /// <summary>The <paramref name="k"/> best chunks for <paramref name="query"/> (see <see cref="KnowledgeBase.SearchAsync"/>).</summary>
    public async Task<List<SearchHit>> SearchAsync(string query, int k, string? pathPrefix, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            long start = Stopwatch.GetTimestamp();
            var hits = await _kb.SearchAsync(query, k, pathPrefix, cancellationToken).ConfigureAwait(false);
            _metrics.RetrievalLatency.Record(Stopwatch.GetElapsedTime(start).TotalSeconds);
            _metrics.ChunksSearched.Add(_metrics.KnowledgeBaseChunks);
            return hits;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _kb.Dispose();
        _gate.Dispose();
    }
}
