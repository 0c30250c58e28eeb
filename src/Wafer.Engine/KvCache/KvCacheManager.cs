namespace Wafer.Engine.KvCache;

/// <summary>The paged KV block pool with automatic prefix caching: block tables per sequence, reference
/// counts, content-hashed full blocks shared between sequences, LRU eviction of unreferenced cached blocks.</summary>
/// <remarks>Pure bookkeeping (block ids); <see cref="PagedKvStorage"/> holds the numbers. Single-threaded: the engine loop owns it.</remarks>
public sealed class KvCacheManager
{
    private readonly KvBlock[] _blocks;
    private readonly FreeBlockQueue _free = new();
    private readonly Dictionary<ulong, KvBlock> _cached; // sized for every block at once: registering a full block never grows it
    private readonly Dictionary<long, SequenceBlocks> _sequences = [];

    private readonly int _sequenceCapacity;

    /// <summary>Creates a pool of <paramref name="blockCount"/> blocks of <paramref name="blockSize"/> tokens.</summary>
    /// <param name="contextLength">Most tokens one sequence holds, when known (0 = unknown): a sequence's block table is sized
    /// for it once, so it never grows while the sequence decodes.</param>
    public KvCacheManager(int blockCount, int blockSize, bool prefixCaching = true, int contextLength = 0)
    {
        if (blockCount < 1) throw new ArgumentOutOfRangeException(nameof(blockCount), "the KV cache needs at least one block");
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize));
        BlockSize = blockSize;
        _sequenceCapacity = contextLength > 0 ? (contextLength + blockSize - 1) / blockSize : 0;
        PrefixCaching = prefixCaching;
        _blocks = new KvBlock[blockCount];
        _cached = new Dictionary<ulong, KvBlock>(prefixCaching ? blockCount : 0);
        for (int i = 0; i < blockCount; i++)
        {
            _blocks[i] = new KvBlock(i, blockSize);
            _free.Append(_blocks[i]);
        }
    }

    /// <summary>Tokens per block.</summary>
    public int BlockSize { get; }

    /// <summary>Whether full blocks are shared between sequences with the same prefix.</summary>
    public bool PrefixCaching { get; }

    /// <summary>Blocks in the pool.</summary>
    public int TotalBlocks => _blocks.Length;

    /// <summary>Blocks no sequence holds (some may still hold a cached prefix).</summary>
    public int FreeBlocks => _free.Count;

    /// <summary>Blocks held by at least one sequence.</summary>
    public int UsedBlocks => TotalBlocks - FreeBlocks;

    /// <summary>Prompt tokens looked up in the prefix cache so far.</summary>
    public long PrefixQueryTokens { get; private set; }

    /// <summary>Of those, tokens found.</summary>
    public long PrefixHitTokens { get; private set; }

    /// <summary>The block ids of a sequence, in position order (empty when unknown).</summary>
    public IReadOnlyList<int> BlockTable(long sequenceId) =>
        _sequences.TryGetValue(sequenceId, out var s) ? s.BlockIds : [];

    /// <summary>Attaches the cached blocks matching the start of <paramref name="tokens"/> to a sequence that holds
    /// no blocks yet, and returns how many tokens they cover (always leaving at least the last token to compute).</summary>
    public int AttachCachedPrefix(long sequenceId, ReadOnlySpan<int> tokens)
    {
        var sequence = Sequence(sequenceId);
        if (sequence.Blocks.Count != 0) throw new InvalidOperationException($"sequence {sequenceId} already holds blocks");
        if (!PrefixCaching) return 0;
        PrefixQueryTokens += tokens.Length;
        int maxBlocks = (tokens.Length - 1) / BlockSize;
        ulong parent = 0;
        for (int b = 0; b < maxBlocks; b++)
        {
            var blockTokens = tokens.Slice(b * BlockSize, BlockSize);
            ulong hash = BlockHasher.Hash(parent, blockTokens);
            if (!_cached.TryGetValue(hash, out var block) || block.ParentHash != parent || !blockTokens.SequenceEqual(block.Tokens)) break;
            if (block.ReferenceCount++ == 0) _free.Remove(block);
            sequence.Add(block, hash);
            parent = hash;
        }
        int hit = sequence.Blocks.Count * BlockSize;
        PrefixHitTokens += hit;
        return hit;
    }

    /// <summary>Makes room for a sequence to hold <paramref name="tokenCount"/> tokens in all; false (and no change) when the pool cannot.</summary>
    public bool TryAllocate(long sequenceId, int tokenCount)
    {
        var sequence = Sequence(sequenceId);
        int needed = (tokenCount + BlockSize - 1) / BlockSize - sequence.Blocks.Count;
        if (needed <= 0) return true;
        if (needed > _free.Count) return false;
        for (int i = 0; i < needed; i++)
        {
            var block = _free.PopFront();
            if (block.Hash is ulong evicted)
            {
                _cached.Remove(evicted);
                block.Hash = null;
            }
            block.ReferenceCount = 1;
            sequence.Add(block, hash: null);
        }
        return true;
    }

    /// <summary>Registers the sequence's blocks that are now full of computed tokens, so later sequences can share them.</summary>
    /// <param name="tokens">The sequence's tokens; the first <paramref name="computedCount"/> are in the cache.</param>
    public void RegisterFullBlocks(long sequenceId, ReadOnlySpan<int> tokens, int computedCount)
    {
        if (!PrefixCaching || !_sequences.TryGetValue(sequenceId, out var sequence)) return;
        int full = Math.Min(computedCount / BlockSize, sequence.Blocks.Count);
        for (int b = sequence.HashedCount; b < full; b++)
        {
            ulong parent = b == 0 ? 0 : sequence.Hashes[b - 1];
            var blockTokens = tokens.Slice(b * BlockSize, BlockSize);
            ulong hash = BlockHasher.Hash(parent, blockTokens);
            sequence.Hashes[b] = hash;
            var block = sequence.Blocks[b];
            if (block.Hash == null && !_cached.ContainsKey(hash))
            {
                block.Hash = hash;
                block.ParentHash = parent;
                blockTokens.CopyTo(block.Tokens);
                _cached[hash] = block;
            }
            sequence.HashedCount = b + 1;
        }
    }

    /// <summary>Releases every block of a sequence (last blocks first, so a prefix outlives its tails in the cache).</summary>
    public void Free(long sequenceId)
    {
        if (!_sequences.Remove(sequenceId, out var sequence)) return;
        for (int i = sequence.Blocks.Count - 1; i >= 0; i--)
        {
            var block = sequence.Blocks[i];
            if (--block.ReferenceCount == 0) _free.Append(block);
        }
    }

    /// <summary>Drops every cached prefix that no sequence holds (e.g. after the weights changed).</summary>
    public void ResetPrefixCache()
    {
        foreach (var block in _cached.Values.Where(b => b.ReferenceCount == 0).ToList())
        {
            _cached.Remove(block.Hash!.Value);
            block.Hash = null;
        }
    }

    private SequenceBlocks Sequence(long sequenceId)
    {
        if (!_sequences.TryGetValue(sequenceId, out var s)) _sequences[sequenceId] = s = new SequenceBlocks(_sequenceCapacity);
        return s;
    }

    /// <summary>The blocks a sequence holds and the hashes of its full ones.</summary>
    private sealed class SequenceBlocks(int capacity)
    {
        public readonly List<KvBlock> Blocks = new(capacity);
        public readonly List<int> BlockIds = new(capacity);
        public readonly List<ulong> Hashes = new(capacity);
        public int HashedCount;

        public void Add(KvBlock block, ulong? hash)
        {
            Blocks.Add(block);
            BlockIds.Add(block.Id);
            Hashes.Add(hash ?? 0);
            if (hash != null) HashedCount = Blocks.Count;
        }
    }
}
