using System.Text.Json;
using Microsoft.AspNetCore.Http;

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
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        if (retryAfterSeconds is { } s) http.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var w = new Utf8JsonWriter(http.Response.Body);
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", type);
        if (param != null) w.WriteString("param", param);
        else w.WriteNull("param");
        if (code != null) w.WriteString("code", code);
        else w.WriteNull("code");
        w.WriteEndObject();
        w.WriteEndObject();
        await w.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }
}
