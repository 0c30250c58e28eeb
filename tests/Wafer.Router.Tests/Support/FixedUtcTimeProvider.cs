namespace Wafer.Router.Tests.Support;

/// <summary>The system clock for timestamps and timers, but a wall-clock date that stays at <paramref name="utcNow"/> (for HTTP-date headers).</summary>
internal sealed class FixedUtcTimeProvider(DateTimeOffset utcNow) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => utcNow;
}
