namespace Wafer.Router.Configuration;

/// <summary>Per-key limits; a key is the client's bearer token ("anonymous" without one).</summary>
public sealed record RateLimitConfig
{
    /// <summary>Requests per minute per key; 0 = unlimited.</summary>
    public double RequestsPerMinute { get; init; }

    /// <summary>Estimated tokens (prompt + max_tokens) per minute per key; 0 = unlimited.</summary>
    public double TokensPerMinute { get; init; }

    /// <summary>Overrides for particular keys.</summary>
    public IReadOnlyDictionary<string, RateLimitConfig> Keys { get; init; } = new Dictionary<string, RateLimitConfig>();
}
