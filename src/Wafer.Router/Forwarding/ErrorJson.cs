using Microsoft.AspNetCore.Http;
using Wafer.OpenAi.Errors;

namespace Wafer.Router.Forwarding;

/// <summary>Writes OpenAI-style error JSON: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
internal static class ErrorJson
{
    public static async Task WriteAsync(HttpContext http, int status, string message, string type, string? param = null, string? code = null, int? retryAfterSeconds = null)
    {
        if (http.Response.HasStarted)
        {
            http.Abort();
            return;
        }
        await OpenAiErrorResponse.WriteAsync(http.Response, status, new OpenAiError(message, type, param, code), retryAfterSeconds, http.RequestAborted).ConfigureAwait(false);
    }
}
