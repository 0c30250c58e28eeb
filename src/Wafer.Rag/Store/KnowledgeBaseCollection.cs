using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace Wafer.Rag.Store;

/// <summary>A knowledge base as a <c>Microsoft.Extensions.VectorData</c> collection of <see cref="KnowledgeChunk"/> records, so
/// .NET code written against those abstractions reads, writes and searches the same SQLite file that <c>wafer index</c> and
/// <c>wafer serve --kb</c> use.</summary>
/// <remarks>
/// Upsert writes a chunk (id 0: a new one; a missing embedding is computed from its text by the knowledge base's model), its
/// document created by path when missing. Search takes a string (embedded by the model), a <c>ReadOnlyMemory&lt;float&gt;</c>,
/// a <c>float[]</c> or an <c>Embedding&lt;float&gt;</c>, and runs the knowledge base's vector search; the score is the cosine
/// similarity. Filters are LINQ expressions over the record, evaluated on the stored chunks (a filtered search scans the
/// chunks that pass). Ordering by a property is not supported (NotSupportedException).
/// </remarks>
public sealed class KnowledgeBaseCollection(KnowledgeBase knowledgeBase) : VectorStoreCollection<long, KnowledgeChunk>
{
    public override string Name => knowledgeBase.Name;

    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default) => Task.FromResult(true);

    /// <summary>The knowledge base's tables exist once it is open: nothing to create.</summary>
    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>Deletes every chunk and document (the file and its schema stay).</summary>
    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default)
    {
        knowledgeBase.DeleteChunks(knowledgeBase.ReadChunks(null, vectors: false).Select(c => c.Id).ToList());
        return Task.CompletedTask;
    }

    public override Task<KnowledgeChunk?> GetAsync(long key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(knowledgeBase.ReadChunks([key], options?.IncludeVectors == true).Select(Record).FirstOrDefault());

    public override async IAsyncEnumerable<KnowledgeChunk> GetAsync(IEnumerable<long> keys, RecordRetrievalOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var row in knowledgeBase.ReadChunks(keys, options?.IncludeVectors == true)) yield return Record(row);
    }

    public override async IAsyncEnumerable<KnowledgeChunk> GetAsync(Expression<Func<KnowledgeChunk, bool>> filter, int top,
        FilteredRecordRetrievalOptions<KnowledgeChunk>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        if (options?.OrderBy != null) throw new NotSupportedException("ordering by a property is not supported by the Wafer knowledge base collection; records come by id");
        await Task.CompletedTask.ConfigureAwait(false);
        var predicate = filter.Compile();
        bool vectors = options?.IncludeVectors == true;
        foreach (var record in knowledgeBase.ReadChunks(null, vectors).Select(Record).Where(predicate).Skip(options?.Skip ?? 0).Take(top))
            yield return record;
    }

    public override async Task UpsertAsync(KnowledgeChunk record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (string.IsNullOrEmpty(record.Path)) throw new ArgumentException("a knowledge chunk needs a Path: the document it belongs to", nameof(record));
        var embedding = record.Embedding is { Length: > 0 } given ? given : await knowledgeBase.EmbedAsync(record.Text, cancellationToken).ConfigureAwait(false);
        record.Id = knowledgeBase.UpsertChunk(record.Id, record.Path, record.Title, record.Text, record.Heading, record.Start, record.End, record.Page, embedding.Span);
        record.Embedding = embedding;
    }

    public override async Task UpsertAsync(IEnumerable<KnowledgeChunk> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var record in records) await UpsertAsync(record, cancellationToken).ConfigureAwait(false);
    }

    public override Task DeleteAsync(long key, CancellationToken cancellationToken = default)
    {
        knowledgeBase.DeleteChunks([key]);
        return Task.CompletedTask;
    }

    public override Task DeleteAsync(IEnumerable<long> keys, CancellationToken cancellationToken = default)
    {
        knowledgeBase.DeleteChunks(keys);
        return Task.CompletedTask;
    }

    public override async IAsyncEnumerable<VectorSearchResult<KnowledgeChunk>> SearchAsync<TInput>(TInput searchValue, int top,
        VectorSearchOptions<KnowledgeChunk>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        float[] query = searchValue switch
        {
            string text => await knowledgeBase.EmbedAsync(text, cancellationToken).ConfigureAwait(false),
            ReadOnlyMemory<float> memory => memory.ToArray(),
            float[] array => array,
            Embedding<float> embedding => embedding.Vector.ToArray(),
            _ => throw new NotSupportedException($"search values of type {typeof(TInput).Name} are not supported; pass a string (embedded by the knowledge base's model), ReadOnlyMemory<float>, float[] or Embedding<float>"),
        };
        int skip = options?.Skip ?? 0;
        HashSet<long>? ids = null;
        if (options?.Filter is { } filter)
        {
            var predicate = filter.Compile();
            ids = knowledgeBase.ReadChunks(null, vectors: false).Select(Record).Where(predicate).Select(r => r.Id).ToHashSet();
        }
        var hits = knowledgeBase.Nearest(query, skip + top, ids).Skip(skip);
        if (options?.ScoreThreshold is double threshold) hits = hits.Where(h => h.Score >= threshold);
        var found = hits.ToList();
        var records = knowledgeBase.ReadChunks(found.Select(h => h.Id), options?.IncludeVectors == true).ToDictionary(r => r.Id);
        foreach (var (id, score) in found)
            if (records.TryGetValue(id, out var row)) yield return new VectorSearchResult<KnowledgeChunk>(Record(row), score);
    }

    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey != null ? null
        : serviceType == typeof(VectorStoreCollectionMetadata) ? new VectorStoreCollectionMetadata { VectorStoreSystemName = "wafer.sqlite", CollectionName = Name }
        : serviceType.IsInstanceOfType(knowledgeBase) ? knowledgeBase
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    private static KnowledgeChunk Record(KnowledgeBase.ChunkRow row) => new()
    {
        Id = row.Id,
        Text = row.Text,
        Path = row.Path,
        Title = row.Title,
        Heading = row.Heading,
        Start = row.Start,
        End = row.End,
        Page = row.Page,
        Embedding = row.Embedding is { } vector ? new ReadOnlyMemory<float>(vector) : (ReadOnlyMemory<float>?)null,
    };
}
