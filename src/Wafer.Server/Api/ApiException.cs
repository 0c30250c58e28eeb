namespace Wafer.Server.Api;

/// <summary>An error the client caused (or must wait out), answered with OpenAI's error JSON.</summary>
public sealed class ApiException(int status, string message, string type = "invalid_request_error", string? param = null, string? code = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    /// <summary>Seconds for a Retry-After header (429/503).</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ApiException BadParameter(string param, string message) => new(400, message, param: param, code: "invalid_value");
}
