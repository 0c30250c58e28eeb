using Wafer.Engine.KvCache;

namespace Wafer.Engine.Tests.KvCache;

public class KvCacheManagerTests
{
    private static int[] Tokens(int count, int start = 100) => Enumerable.Range(start, count).ToArray();

    [Fact]
    public void TryAllocate_GrowsBlockTableByWholeBlocks()
    {
        var kv = new KvCacheManager(8, 4);
        Assert.True(kv.TryAllocate(1, 5));
        Assert.Equal(2, kv.BlockTable(1).Count);
        Assert.True(kv.TryAllocate(1, 8));
        Assert.Equal(2, kv.BlockTable(1).Count);
        Assert.Equal(6, kv.FreeBlocks);
    }

    [Fact]
    public void TryAllocate_NotEnoughBlocks_ChangesNothing()
    {
        var kv = new KvCacheManager(2, 4);
        Assert.False(kv.TryAllocate(1, 9));
        Assert.Empty(kv.BlockTable(1));
        Assert.Equal(2, kv.FreeBlocks);
    }

    [Fact]
    public void AttachCachedPrefix_SharedPrefix_ReusesFullBlocksOnly()
    {
        var kv = new KvCacheManager(16, 4);
        var first = Tokens(10);
        kv.TryAllocate(1, first.Length);
        kv.RegisterFullBlocks(1, first, first.Length);

        var second = Tokens(10).Take(9).Append(7).Append(8).ToArray(); // shares 9 tokens = 2 full blocks
        int hit = kv.AttachCachedPrefix(2, second);

        Assert.Equal(8, hit);
        Assert.Equal(kv.BlockTable(1).Take(2), kv.BlockTable(2));
        Assert.Equal(11, kv.PrefixQueryTokens);
        Assert.Equal(8, kv.PrefixHitTokens);
    }

    [Fact]
    public void AttachCachedPrefix_WholePromptCached_LeavesLastTokenToCompute()
    {
        var kv = new KvCacheManager(16, 4);
        var prompt = Tokens(8);
        kv.TryAllocate(1, 8);
        kv.RegisterFullBlocks(1, prompt, 8);
        Assert.Equal(4, kv.AttachCachedPrefix(2, prompt));
    }

    [Fact]
    public void AttachCachedPrefix_DifferentFirstBlock_NoHitEvenIfLaterBlocksMatch()
    {
        var kv = new KvCacheManager(16, 4);
        var a = Tokens(12);
        kv.TryAllocate(1, 12);
        kv.RegisterFullBlocks(1, a, 12);
        var b = (int[])a.Clone();
        b[0] = 1; // same second and third block, other first block: chained hashes differ
        Assert.Equal(0, kv.AttachCachedPrefix(2, b));
    }

    [Fact]
    public void Free_CachedBlocksSurviveUntilEvicted()
    {
        var kv = new KvCacheManager(4, 4);
        var prompt = Tokens(8);
        kv.TryAllocate(1, 8);
        kv.RegisterFullBlocks(1, prompt, 8);
        kv.Free(1);
        Assert.Equal(4, kv.FreeBlocks);
        Assert.Equal(8, kv.AttachCachedPrefix(2, Tokens(9)));
        kv.Free(2);

        // Another sequence takes every block: the cached prefix is evicted.
        Assert.True(kv.TryAllocate(3, 16));
        kv.Free(3);
        Assert.Equal(0, kv.AttachCachedPrefix(4, Tokens(9)));
    }

    [Fact]
    public void TryAllocate_EvictsLeastRecentlyFreedFirst()
    {
        var kv = new KvCacheManager(4, 2);
        int[] a = [1, 2, 3], b = [4, 5, 6];
        kv.TryAllocate(1, 2);
        kv.RegisterFullBlocks(1, a, 2);
        kv.TryAllocate(2, 2);
        kv.RegisterFullBlocks(2, b, 2);
        kv.Free(1); // a's block freed first
        kv.Free(2);
        Assert.True(kv.TryAllocate(3, 6)); // takes the two never-used blocks and a's block
        Assert.Equal(0, kv.AttachCachedPrefix(4, a));
        Assert.Equal(2, kv.AttachCachedPrefix(5, b));
    }

    [Fact]
    public void Free_SharedBlock_StaysHeldUntilLastReference()
    {
        var kv = new KvCacheManager(8, 4);
        var prompt = Tokens(9);
        kv.TryAllocate(1, 9);
        kv.RegisterFullBlocks(1, prompt, 9);
        kv.AttachCachedPrefix(2, prompt);
        int usedBoth = kv.UsedBlocks;
        kv.Free(1);
        Assert.Equal(2, kv.UsedBlocks);
        Assert.True(usedBoth > kv.UsedBlocks);
        kv.Free(2);
        Assert.Equal(8, kv.FreeBlocks);
    }
}

/// <summary>Precision tiers in one pool (<c>--adaptive</c>): a narrower tier's block holds more tokens, and prefixes are shared
/// only within a tier.</summary>
public class KvCacheManagerTierTests
{
    [Fact]
    public void TryAllocate_ReducedTier_FewerBlocksForTheSameTokens()
    {
        var kv = new KvCacheManager(8, 16, tierBlockSizes: [16, 60]);
        kv.AttachCachedPrefix(1, Enumerable.Range(0, 10).ToArray(), tier: 1);
        Assert.True(kv.TryAllocate(1, 120));
        Assert.Equal(2, kv.BlockTable(1).Count);
        Assert.Equal(1, kv.TierOf(1));
        Assert.True(kv.TryAllocate(2, 96)); // tier 0 (never attached): 6 blocks of 16
        Assert.Equal(6, kv.BlockTable(2).Count);
        Assert.Equal(0, kv.FreeBlocks);
        kv.Free(1);
        kv.Free(2);
        Assert.Equal(8, kv.FreeBlocks);
    }

    [Fact]
    public void AttachCachedPrefix_OnlyFromTheSameTier()
    {
        var kv = new KvCacheManager(16, 16, tierBlockSizes: [16, 60]);
        var tokens = Enumerable.Range(100, 130).ToArray();
        foreach (var (id, tier) in new[] { (1L, 0), (2L, 1) })
        {
            kv.AttachCachedPrefix(id, tokens, tier);
            kv.TryAllocate(id, tokens.Length);
            kv.RegisterFullBlocks(id, tokens, tokens.Length);
        }
        Assert.Equal(128, kv.AttachCachedPrefix(3, tokens, tier: 0)); // 8 blocks of 16
        Assert.Equal(120, kv.AttachCachedPrefix(4, tokens, tier: 1)); // 2 blocks of 60
        Assert.DoesNotContain(kv.BlockTable(3)[0], kv.BlockTable(4));
        Assert.Equal(kv.BlockTable(1).Take(8), kv.BlockTable(3));
        Assert.Equal(kv.BlockTable(2).Take(2), kv.BlockTable(4));
    }

    [Fact]
    public void Constructor_TierZeroMustBeTheBlockSize() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvCacheManager(4, 16, tierBlockSizes: [32, 60]));
}
