namespace Wafer.Engine.KvCache;

/// <summary>The paged KV block pool with automatic prefix caching: block tables per sequence, reference
/// counts, content-hashed full blocks shared between sequences, LRU eviction of unreferenced cached blocks.</summary>
/// <remarks>Pure bookkeeping (block ids); <see cref="PagedKvStorage"/> holds the numbers. Single-threaded: the engine loop owns it.
/// A sequence has a precision tier (0 = full; others under <c>--adaptive</c>): every block takes the same bytes, so a narrower
/// tier fits more tokens in a block (<see cref="BlockSizeOf"/>). A tier's prefixes are shared only within that tier (the chain of
/// hashes starts from the tier), since the same tokens are different bytes in another.</remarks>
public sealed class KvCacheManager
{
    private readonly KvBlock[] _blocks;
    private readonly FreeBlockQueue _free = new();
    private readonly Dictionary<ulong, KvBlock> _cached; // sized for every block at once: registering a full block never grows it
    private readonly Dictionary<long, SequenceBlocks> _sequences = [];

    private readonly int _contextLength;
    private readonly int[] _tierBlockSizes;

    /// <summary>Creates a pool of <paramref name="blockCount"/> blocks of <paramref name="blockSize"/> tokens.</summary>
    /// <param name="contextLength">Most tokens one sequence holds, when known (0 = unknown): a sequence's block table is sized
    /// for it once, so it never grows while the sequence decodes.</param>
    /// <param name="tierBlockSizes">Tokens per block of each precision tier (tier 0's is <paramref name="blockSize"/>, the others
    /// at least that); null = one tier.</param>
    public KvCacheManager(int blockCount, int blockSize, bool prefixCaching = true, int contextLength = 0, IReadOnlyList<int>? tierBlockSizes = null)
    {
        if (blockCount < 1) throw new ArgumentOutOfRangeException(nameof(blockCount), "the KV cache needs at least one block");
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize));
        _tierBlockSizes = tierBlockSizes?.ToArray() ?? [blockSize];
        if (_tierBlockSizes[0] != blockSize || _tierBlockSizes.Any(b => b < blockSize))
            throw new ArgumentOutOfRangeException(nameof(tierBlockSizes), "tier 0 holds blockSize tokens a block, the other tiers at least as many");
        BlockSize = blockSize;
        _contextLength = contextLength;
        PrefixCaching = prefixCaching;
        _blocks = new KvBlock[blockCount];
        _cached = new Dictionary<ulong, KvBlock>(prefixCaching ? blockCount : 0);
        int largest = _tierBlockSizes.Max();
        for (int i = 0; i < blockCount; i++)
        {
            _blocks[i] = new KvBlock(i, largest);
            _free.Append(_blocks[i]);
        }
    }

    /// <summary>Tokens per block of the full-precision tier.</summary>
    public int BlockSize { get; }

    /// <summary>Tokens per block of <paramref name="tier"/>.</summary>
    public int BlockSizeOf(int tier) => _tierBlockSizes[tier];

    /// <summary>The tier of a sequence (0 when unknown).</summary>
    public int TierOf(long sequenceId) => _sequences.TryGetValue(sequenceId, out var s) ? s.Tier : 0;

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
    /// no blocks yet, and returns how many tokens they cover (always leaving at least the last token to compute). The
    /// sequence is stored at precision <paramref name="tier"/> until it is freed.</summary>
    public int AttachCachedPrefix(long sequenceId, ReadOnlySpan<int> tokens, int tier = 0)
    {
        if ((uint)tier >= (uint)_tierBlockSizes.Length) throw new ArgumentOutOfRangeException(nameof(tier), $"the pool has {_tierBlockSizes.Length} precision tier(s)");
        var sequence = Sequence(sequenceId);
        if (sequence.Blocks.Count != 0) throw new InvalidOperationException($"sequence {sequenceId} already holds blocks");
        sequence.SetTier(tier, _tierBlockSizes[tier]);
        if (!PrefixCaching) return 0;
        PrefixQueryTokens += tokens.Length;
        int blockSize = sequence.BlockSize;
        int maxBlocks = (tokens.Length - 1) / blockSize;
        ulong parent = TierSeed(tier);
        for (int b = 0; b < maxBlocks; b++)
        {
            var blockTokens = tokens.Slice(b * blockSize, blockSize);
            ulong hash = BlockHasher.Hash(parent, blockTokens);
            if (!_cached.TryGetValue(hash, out var block) || block.ParentHash != parent || !blockTokens.SequenceEqual(block.Tokens.AsSpan(0, blockSize))) break;
            if (block.ReferenceCount++ == 0) _free.Remove(block);
            sequence.Add(block, hash);
            parent = hash;
        }
        int hit = sequence.Blocks.Count * blockSize;
        PrefixHitTokens += hit;
        return hit;
    }

    /// <summary>Makes room for a sequence to hold <paramref name="tokenCount"/> tokens in all; false (and no change) when the pool cannot.</summary>
    public bool TryAllocate(long sequenceId, int tokenCount)
    {
        var sequence = Sequence(sequenceId);
        int needed = (tokenCount + sequence.BlockSize - 1) / sequence.BlockSize - sequence.Blocks.Count;
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
        int blockSize = sequence.BlockSize;
        int full = Math.Min(computedCount / blockSize, sequence.Blocks.Count);
        for (int b = sequence.HashedCount; b < full; b++)
        {
            ulong parent = b == 0 ? TierSeed(sequence.Tier) : sequence.Hashes[b - 1];
            var blockTokens = tokens.Slice(b * blockSize, blockSize);
            ulong hash = BlockHasher.Hash(parent, blockTokens);
            sequence.Hashes[b] = hash;
            var block = sequence.Blocks[b];
            if (block.Hash == null && !_cached.ContainsKey(hash))
            {
                block.Hash = hash;
                block.ParentHash = parent;
                blockTokens.CopyTo(block.Tokens);  // (a longer tier's tail of the array stays as it was: only blockSize are compared)
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

    /// <summary>Where the chain of block hashes of <paramref name="tier"/> starts (0 for the full tier, as with one tier).</summary>
    private static ulong TierSeed(int tier) => tier == 0 ? 0 : 0x9E3779B97F4A7C15UL * (ulong)tier;

    private SequenceBlocks Sequence(long sequenceId)
    {
        if (!_sequences.TryGetValue(sequenceId, out var s))
            _sequences[sequenceId] = s = new SequenceBlocks(_contextLength > 0 ? (_contextLength + BlockSize - 1) / BlockSize : 0, BlockSize);
        return s;
    }

    /// <summary>The blocks a sequence holds and the hashes of its full ones.</summary>
    private sealed class SequenceBlocks(int capacity, int blockSize)
    {
        public readonly List<KvBlock> Blocks = new(capacity);
        public readonly List<int> BlockIds = new(capacity);
        public readonly List<ulong> Hashes = new(capacity);
        public int HashedCount;
        public int Tier;
        public int BlockSize = blockSize;

        public void SetTier(int tier, int blockSize)
        {
            Tier = tier;
            BlockSize = blockSize;
        }

        public void Add(KvBlock block, ulong? hash)
        {
            Blocks.Add(block);
            BlockIds.Add(block.Id);
            Hashes.Add(hash ?? 0);
            if (hash != null) HashedCount = Blocks.Count;
        }
    }
}
