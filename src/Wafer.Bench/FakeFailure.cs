namespace Wafer.Bench;

/// <summary>An error a <see cref="FakeOpenAiServer"/> answers one request with: the status, extra headers (e.g. Retry-After) and the message.</summary>
/// <param name="Status">HTTP status, e.g. 429 or 503.</param>
/// <param name="Headers">Response headers to add, e.g. <c>{ ["Retry-After"] = "7" }</c>; null for none.</param>
/// <param name="Message">The error's message; null gives "fake {status}".</param>
internal sealed record FakeFailure(int Status, IReadOnlyDictionary<string, string>? Headers = null, string? Message = null)
{
    /// <summary>A 429 or 503 with a Retry-After of <paramref name="seconds"/>.</summary>
    public static FakeFailure RetryAfter(int status, int seconds) =>
        new(status, new Dictionary<string, string> { ["Retry-After"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });
}
