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
        await OpenAiErrorResponse.WriteAsync(context.Response, error.Status, new OpenAiError(error.Message, error.Type, error.Param, error.Code),
            error.RetryAfterSeconds, context.RequestAborted).ConfigureAwait(false);
    }
}
