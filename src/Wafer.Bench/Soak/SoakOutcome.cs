namespace Wafer.Bench.Soak;

/// <summary>How one soak request ended.</summary>
/// <param name="Result">One of <see cref="SoakResults"/>' names, or a failure's kind (<c>status_500</c>, <c>timeout</c>, …).</param>
/// <param name="Status">The HTTP status, 0 when none came.</param>
/// <param name="ReachedServer">Whether a status line came back, so the server saw (and counted) the request.</param>
/// <param name="Reconnected">Whether it was sent again on a fresh connection because the server had closed a kept-alive one first.</param>
internal readonly record struct SoakOutcome(SoakRequestKind Kind, string Result, int Status, string? Message, bool ReachedServer, bool Reconnected = false)
{
    public bool Failed => !SoakResults.IsSuccess(Result);
}

/// <summary>The results that are not failures.</summary>
internal static class SoakResults
{
    /// <summary>A good request answered in full (a stream ended by <c>[DONE]</c> with a finish reason; a body with choices and usage).</summary>
    public const string Ok = "ok";

    /// <summary>A request the client abandoned on purpose.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>A malformed request answered 4xx with an error message.</summary>
    public const string Rejected = "rejected";

    /// <summary>A good request the server turned away for load (429 or 503 with an error body): an answer, not a loss.</summary>
    public const string Overloaded = "overloaded";

    public static bool IsSuccess(string result) => result is Ok or Cancelled or Rejected or Overloaded;
}
