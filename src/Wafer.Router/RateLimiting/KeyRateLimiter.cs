using System.Collections.Concurrent;
using Wafer.Router.Configuration;

namespace Wafer.Router.RateLimiting;

/// <summary>Per-key requests/min and tokens/min limits; a refused request learns how long to wait.</summary>
internal sealed class KeyRateLimiter(RateLimitConfig config, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Buckets> _keys = new(StringComparer.Ordinal);

    /// <summary>Admits a request of <paramref name="estimatedTokens"/> for <paramref name="key"/>, or returns the Retry-After.</summary>
    public bool TryAcquire(string key, long estimatedTokens, out TimeSpan retryAfter)
    {
        var limits = config.Keys.TryGetValue(key, out var own) ? own : config;
        var buckets = _keys.GetOrAdd(key, _ => new Buckets(limits, time.GetTimestamp()));
        lock (buckets)
        {
            long now = time.GetTimestamp();
            double tps = time.TimestampFrequency;
            retryAfter = TimeSpan.Zero;
            // Check both before taking from either, so a refusal costs nothing.
            var requestWait = TimeSpan.Zero;
            var tokenWait = TimeSpan.Zero;
            bool requestOk = buckets.Requests == null || buckets.Requests.TryTake(1, now, tps, out requestWait);
            bool tokenOk = buckets.Tokens == null || buckets.Tokens.TryTake(estimatedTokens, now, tps, out tokenWait);
            if (requestOk && tokenOk) return true;
            if (requestOk) buckets.Requests?.TryTake(-1, now, tps, out _);
            if (tokenOk) buckets.Tokens?.TryTake(-estimatedTokens, now, tps, out _);
            retryAfter = requestWait > tokenWait ? requestWait : tokenWait;
            return false;
        }
    }

    private sealed class Buckets(RateLimitConfig limits, long now)
    {
        public TokenBucket? Requests { get; } = limits.RequestsPerMinute > 0 ? new TokenBucket(limits.RequestsPerMinute, now) : null;
        public TokenBucket? Tokens { get; } = limits.TokensPerMinute > 0 ? new TokenBucket(limits.TokensPerMinute, now) : null;
    }
}
