namespace Wafer.Engine.KvCache;

/// <summary>Bookkeeping of one KV block: who uses it, and what prefix it holds once full.</summary>
internal sealed class KvBlock(int id, int blockSize)
{
    /// <summary>Index of the block in the storage.</summary>
    public int Id { get; } = id;

    /// <summary>Requests holding this block.</summary>
    public int ReferenceCount { get; set; }

    /// <summary>Chained hash of the prefix ending with this block; null until the block is full and registered.</summary>
    public ulong? Hash { get; set; }

    /// <summary>The hash of the block before it (0 for the first), kept to verify a hash hit.</summary>
    public ulong ParentHash { get; set; }

    /// <summary>The token ids the block holds once registered, kept to verify a hash hit (valid only while <see cref="Hash"/>
    /// is set; allocated once with the block, so registering a block allocates nothing).</summary>
    public int[] Tokens { get; } = new int[blockSize];

    /// <summary>Neighbours in the free queue (null when not queued).</summary>
    public KvBlock? Previous { get; set; }

    public KvBlock? Next { get; set; }

    public bool InFreeQueue { get; set; }
}
