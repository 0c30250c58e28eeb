using System.Collections.Concurrent;
using Wafer.Router.Configuration;

namespace Wafer.Router.RateLimiting;

/// <summary>Per-key requests/min and tokens/min limits; a refused request learns how long to wait.</summary>
/// <remarks>
/// A reload builds a new limiter from the previous one, so a reload does not hand every key a fresh allowance:
/// a key whose limits did not change keeps its buckets (the same objects, shared with the old limiter);
/// a key whose limits changed keeps the tokens it had, capped at the new capacity (a limit newly set starts full);
/// a key whose override was removed from <c>rateLimits.keys</c> is dropped and starts afresh under the default limits.
/// </remarks>
internal sealed class KeyRateLimiter
{
    private readonly RateLimitConfig _config;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Buckets> _keys = new(StringComparer.Ordinal);

    /// <summary>A limiter for <paramref name="config"/> that carries the buckets of <paramref name="previous"/> (the limiter before a reload) over.</summary>
    public KeyRateLimiter(RateLimitConfig config, TimeProvider time, KeyRateLimiter? previous = null)
    {
        _config = config;
        _time = time;
        if (previous == null) return;
        long now = time.GetTimestamp();
        foreach (var (key, old) in previous._keys)
        {
            if (previous._config.Keys.ContainsKey(key) && !config.Keys.ContainsKey(key)) continue;
            var limits = LimitsFor(key);
            _keys[key] = old.Limits.RequestsPerMinute == limits.RequestsPerMinute && old.Limits.TokensPerMinute == limits.TokensPerMinute
                ? old
                : old.Resized(limits, now, time.TimestampFrequency);
        }
    }

    /// <summary>Admits a request of <paramref name="estimatedTokens"/> for <paramref name="key"/>, or returns the Retry-After.</summary>
    public bool TryAcquire(string key, long estimatedTokens, out TimeSpan retryAfter)
    {
        var buckets = _keys.GetOrAdd(key, static (k, self) => new Buckets(self.LimitsFor(k), self._time.GetTimestamp()), this);
        lock (buckets)
        {
            long now = _time.GetTimestamp();
            double tps = _time.TimestampFrequency;
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

    private RateLimitConfig LimitsFor(string key) => _config.Keys.TryGetValue(key, out var own) ? own : _config;

    private sealed class Buckets(RateLimitConfig limits, TokenBucket? requests, TokenBucket? tokens)
    {
        public Buckets(RateLimitConfig limits, long now)
            : this(limits, Full(limits.RequestsPerMinute, now), Full(limits.TokensPerMinute, now))
        {
        }

        public RateLimitConfig Limits { get; } = limits;
        public TokenBucket? Requests { get; } = requests;
        public TokenBucket? Tokens { get; } = tokens;

        /// <summary>Buckets for new limits holding what these hold now, capped at the new capacities.</summary>
        public Buckets Resized(RateLimitConfig limits, long now, double ticksPerSecond)
        {
            lock (this)
                return new Buckets(limits, Carry(Requests, limits.RequestsPerMinute, now, ticksPerSecond), Carry(Tokens, limits.TokensPerMinute, now, ticksPerSecond));
        }

        private static TokenBucket? Full(double perMinute, long now) => perMinute > 0 ? new TokenBucket(perMinute, now) : null;

        private static TokenBucket? Carry(TokenBucket? old, double perMinute, long now, double ticksPerSecond) =>
            perMinute <= 0 ? null
            : old == null ? new TokenBucket(perMinute, now)
            : new TokenBucket(perMinute, now, old.Available(now, ticksPerSecond)); // a copy even when unchanged: the old limiter may still use the old bucket
    }
}
