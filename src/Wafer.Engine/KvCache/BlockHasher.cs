namespace Wafer.Engine.KvCache;

/// <summary>The chained content hash of full KV blocks: a block's hash covers its tokens and, through its parent's hash, the whole prefix.</summary>
internal static class BlockHasher
{
    /// <summary>Hash of a block holding <paramref name="tokens"/> after a prefix whose last block hashed to <paramref name="parent"/>.</summary>
    public static ulong Hash(ulong parent, ReadOnlySpan<int> tokens)
    {
        // 64-bit FNV-1a over the parent hash and the token ids, then a final avalanche (splitmix64).
        ulong h = 14695981039346656037UL ^ parent;
        foreach (int t in tokens)
        {
            h ^= (uint)t;
            h *= 1099511628211UL;
            h ^= h >> 29;
        }
        h ^= h >> 30;
        h *= 0xbf58476d1ce4e5b9UL;
        h ^= h >> 27;
        h *= 0x94d049bb133111ebUL;
        return h ^ (h >> 31);
    }
}
