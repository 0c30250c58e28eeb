using Wafer.Models.Architectures;

namespace Wafer.Engine.KvCache;

/// <summary>Chooses the KV block count from the options, or from the machine's free memory with a margin.</summary>
public static class KvCacheSizing
{
    /// <summary>Share of available memory the default cache may take.</summary>
    private const double DefaultMemoryShare = 0.5;

    /// <summary>Blocks for a cache of <paramref name="options"/>' size, at least one full context.</summary>
    public static int BlockCount(ModelConfig config, EngineOptions options, long availableBytes)
    {
        long perToken = PagedKvStorage.BytesPerToken(config, options.KeyType, options.ValueType);
        long tokens = options.KvCacheTokens > 0 ? options.KvCacheTokens
            : options.KvCacheMiB > 0 ? options.KvCacheMiB * 1024 * 1024 / perToken
            : DefaultTokens(options, perToken, availableBytes);
        long blocks = (tokens + options.BlockSize - 1) / options.BlockSize;
        long minimum = (options.Scheduler.ContextLength + options.BlockSize - 1) / options.BlockSize;
        if (blocks < minimum)
            throw new ArgumentException($"a KV cache of {tokens} tokens ({tokens * perToken / (1024 * 1024)} MiB) cannot hold one context of {options.Scheduler.ContextLength} tokens; raise the KV cache size or lower the context length");
        return (int)Math.Min(blocks, int.MaxValue / 2);
    }

    /// <summary>Bytes the KV cache of an engine over a model of <paramref name="config"/> would take with <paramref name="options"/>
    /// (the context length resolved as the engine resolves it), on this machine's free memory now.</summary>
    public static long Bytes(ModelConfig config, EngineOptions options)
    {
        int context = EngineOptions.ResolveContextLength(options.Scheduler.ContextLength, config.ContextLength);
        var resolved = options with { Scheduler = options.Scheduler with { ContextLength = context } };
        return (long)BlockCount(config, resolved, AvailableMemoryBytes()) * resolved.BlockSize * PagedKvStorage.BytesPerToken(config, options.KeyType, options.ValueType);
    }

    /// <summary>Every sequence at full context if that fits in half the free memory, else what fits.</summary>
    private static long DefaultTokens(EngineOptions options, long perToken, long availableBytes)
    {
        long wanted = (long)options.Scheduler.ContextLength * options.Scheduler.MaxSequences;
        long affordable = (long)(availableBytes * DefaultMemoryShare) / perToken;
        return Math.Max(Math.Min(wanted, affordable), options.Scheduler.ContextLength);
    }

    /// <summary>Bytes of memory available to this process (MemAvailable on Linux, else the GC's view).</summary>
    public static long AvailableMemoryBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }
}
