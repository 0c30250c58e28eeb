using Microsoft.AspNetCore.Http;
using Wafer.OpenAi.Errors;

namespace Wafer.Server.Api;

/// <summary>Writes OpenAI-shaped errors: {"error": {"message", "type", "param", "code"}}.</summary>
internal static class ErrorWriter
{
    public static async Task WriteAsync(HttpContext context, ApiException error)
    {
        if (context.Response.HasStarted) return;
        context.Response.Clear();
        if (context.Request.Path.StartsWithSegments("/v1/messages"))
        {
            await AnthropicAsync(context, error).ConfigureAwait(false);
            return;
        }
        await OpenAiErrorResponse.WriteAsync(context.Response, error.Status, new OpenAiError(error.Message, error.Type, error.Param, error.Code),
            error.RetryAfterSeconds, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Anthropic's error shape on the Messages routes: {"type": "error", "error": {"type", "message"}}.</summary>
    private static async Task AnthropicAsync(HttpContext context, ApiException error)
    {
        string type = error.Status switch
        {
            400 or 422 => "invalid_request_error",
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            413 => "request_too_large",
            429 => "rate_limit_error",
            503 => "overloaded_error",
            _ => "api_error",
        };
        context.Response.StatusCode = error.Status;
        if (error.RetryAfterSeconds is int seconds) context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/json";
        await using var w = new System.Text.Json.Utf8JsonWriter(context.Response.Body);
        w.WriteStartObject();
        w.WriteString("type", "error");
        w.WriteStartObject("error");
        w.WriteString("type", type);
        w.WriteString("message", error.Param != null && !error.Message.Contains(error.Param, StringComparison.Ordinal) ? $"{error.Param}: {error.Message}" : error.Message);
        w.WriteEndObject();
        w.WriteEndObject();
        await w.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
