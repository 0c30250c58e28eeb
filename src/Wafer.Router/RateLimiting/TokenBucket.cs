namespace Wafer.Router.RateLimiting;

/// <summary>A bucket that refills continuously at <c>perMinute</c> per minute up to <c>perMinute</c>; not thread-safe.</summary>
internal sealed class TokenBucket(double perMinute, long now, double tokens)
{
    private double _tokens = Math.Min(perMinute, tokens);
    private long _updated = now;

    /// <summary>A full bucket.</summary>
    public TokenBucket(double perMinute, long now)
        : this(perMinute, now, perMinute)
    {
    }

    /// <summary>Capacity, which is also the refill per minute.</summary>
    public double PerMinute { get; } = perMinute;

    /// <summary>Tokens there at <paramref name="now"/>, after refilling.</summary>
    public double Available(long now, double ticksPerSecond)
    {
        Refill(now, ticksPerSecond);
        return _tokens;
    }

    /// <summary>Takes <paramref name="cost"/> tokens, or returns how long until they would be there.</summary>
    public bool TryTake(double cost, long now, double ticksPerSecond, out TimeSpan wait)
    {
        Refill(now, ticksPerSecond);
        cost = Math.Min(cost, PerMinute); // a request larger than the whole minute's allowance still gets through once the bucket is full
        if (_tokens >= cost)
        {
            _tokens -= cost;
            wait = TimeSpan.Zero;
            return true;
        }
        wait = TimeSpan.FromSeconds((cost - _tokens) / (PerMinute / 60));
        return false;
    }

    private void Refill(long now, double ticksPerSecond)
    {
        _tokens = Math.Min(PerMinute, _tokens + (now - _updated) / ticksPerSecond * (PerMinute / 60));
        _updated = now;
    }
}
