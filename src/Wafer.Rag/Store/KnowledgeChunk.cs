using Microsoft.Extensions.VectorData;

namespace Wafer.Rag.Store;

/// <summary>A chunk of a knowledge base as a <c>Microsoft.Extensions.VectorData</c> record (<see cref="KnowledgeBaseCollection"/>):
/// its id, text, source document (path and title), heading, character span, page and unit-length embedding.</summary>
/// <remarks>The vector attribute's width is a placeholder the attribute requires; the collection checks the width against the
/// knowledge base's embedding model.</remarks>
public sealed class KnowledgeChunk
{
    /// <summary>The chunk's id; 0 on a record to insert (the upsert assigns it).</summary>
    [VectorStoreKey]
    public long Id { get; set; }

    [VectorStoreData(IsFullTextIndexed = true)]
    public string Text { get; set; } = "";

    /// <summary>The source document's path: chunks with the same path belong to one document.</summary>
    [VectorStoreData(IsIndexed = true)]
    public string Path { get; set; } = "";

    [VectorStoreData]
    public string Title { get; set; } = "";

    [VectorStoreData]
    public string? Heading { get; set; }

    /// <summary>Character offset of the chunk in its document's text.</summary>
    [VectorStoreData]
    public int Start { get; set; }

    [VectorStoreData]
    public int End { get; set; }

    /// <summary>The page it starts on (PDF), 0 where the document has no pages.</summary>
    [VectorStoreData]
    public int Page { get; set; }

    /// <summary>The embedding; left empty on an upsert, the knowledge base's model embeds <see cref="Text"/>.</summary>
    [VectorStoreVector(384, DistanceFunction = DistanceFunction.CosineSimilarity)]
    public ReadOnlyMemory<float>? Embedding { get; set; }
}
