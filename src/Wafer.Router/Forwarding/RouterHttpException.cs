namespace Wafer.Router.Forwarding;

/// <summary>An error the router answers itself, written as OpenAI-style error JSON.</summary>
internal sealed class RouterHttpException(int statusCode, string message, string type, string? param = null, string? code = null) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    /// <summary>Seconds for a Retry-After header, if any.</summary>
    public int? RetryAfterSeconds { get; init; }
}
