namespace Wafer.Router.Forwarding;

/// <summary>An attempt at one backend failed before anything reached the client.</summary>
/// <param name="message">What went wrong, naming the backend.</param>
/// <param name="statusCode">The backend's status, or 502 (unreachable) / 504 (timed out).</param>
/// <param name="countsAsFailure">Whether the breaker counts it (errors and timeouts, not 429 or 4xx).</param>
/// <param name="retryable">Whether another backend may be tried.</param>
public sealed class UpstreamException(string message, int statusCode, bool countsAsFailure, bool retryable, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>HTTP status to report if no other backend answers.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>Whether the circuit breaker counts this as a failure.</summary>
    public bool CountsAsFailure { get; } = countsAsFailure;

    /// <summary>Whether a retry on another backend may help.</summary>
    public bool Retryable { get; } = retryable;

    /// <summary>The backend that failed, when known.</summary>
    public string? BackendName { get; init; }

    /// <summary>How long the backend asked to be left alone (its Retry-After); when several backends failed, the shortest any of them gave.</summary>
    public TimeSpan? RetryAfter { get; internal set; }
}
