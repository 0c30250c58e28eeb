using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Wafer.Server.Api;

/// <summary>Writes OpenAI-shaped errors: {"error": {"message", "type", "param", "code"}}.</summary>
internal static class ErrorWriter
{
    public static async Task WriteAsync(HttpContext context, ApiException error)
    {
        if (context.Response.HasStarted) return;
        context.Response.Clear();
        context.Response.StatusCode = error.Status;
        if (error.RetryAfterSeconds is int seconds) context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body, Wafer.Server.Api.JsonOutput.Options);
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", error.Message);
        writer.WriteString("type", error.Type);
        if (error.Param != null) writer.WriteString("param", error.Param);
        else writer.WriteNull("param");
        if (error.Code != null) writer.WriteString("code", error.Code);
        else writer.WriteNull("code");
        writer.WriteEndObject();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
