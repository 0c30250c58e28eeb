namespace Wafer.Router.RateLimiting;

/// <summary>A bucket that refills continuously at <c>perMinute</c> per minute up to <c>perMinute</c>; not thread-safe.</summary>
internal sealed class TokenBucket(double perMinute, long now)
{
    private readonly double _perMinute = perMinute;
    private double _tokens = perMinute;
    private long _updated = now;

    /// <summary>Takes <paramref name="cost"/> tokens, or returns how long until they would be there.</summary>
    public bool TryTake(double cost, long now, double ticksPerSecond, out TimeSpan wait)
    {
        double perSecond = _perMinute / 60;
        _tokens = Math.Min(_perMinute, _tokens + (now - _updated) / ticksPerSecond * perSecond);
        _updated = now;
        cost = Math.Min(cost, _perMinute); // a request larger than the whole minute's allowance still gets through once the bucket is full
        if (_tokens >= cost)
        {
            _tokens -= cost;
            wait = TimeSpan.Zero;
            return true;
        }
        wait = TimeSpan.FromSeconds((cost - _tokens) / perSecond);
        return false;
    }
}
