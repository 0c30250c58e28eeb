using System.Net.Http.Headers;

namespace Wafer.Router.Forwarding;

/// <summary>Reads a backend's Retry-After (delta-seconds or HTTP-date) and picks what the router passes on.</summary>
internal static class BackendRetryAfter
{
    /// <summary>What the router sends with a 429/503 when no backend it tried gave a Retry-After.</summary>
    public const int DefaultSeconds = 1;

    /// <summary>The wait the header asks for, measured from <paramref name="now"/>; a date in the past is zero; null without a header.</summary>
    public static TimeSpan? From(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
        { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>The shorter of two waits; a missing one does not count.</summary>
    public static TimeSpan? Min(TimeSpan? a, TimeSpan? b) => a is { } x && b is { } y ? (x < y ? x : y) : a ?? b;

    /// <summary>Whole seconds for the client's header: rounded up, so the client never comes back before the backend asked.</summary>
    public static int Seconds(TimeSpan? wait) => wait is { } w ? (int)Math.Min(int.MaxValue, Math.Ceiling(w.TotalSeconds)) : DefaultSeconds;
}
