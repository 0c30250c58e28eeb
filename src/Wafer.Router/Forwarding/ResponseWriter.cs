using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Wafer.Router.Hosting;

namespace Wafer.Router.Forwarding;

/// <summary>Writes a winning attempt to the client: status, headers, the bytes read so far, then the rest of the stream as it arrives.</summary>
internal static class ResponseWriter
{
    /// <summary>Writes the response, calling <paramref name="onFirstFlush"/> once the first bytes are out.</summary>
    public static async Task WriteAsync(HttpContext http, Attempt attempt, RouterContext context, Action onFirstFlush)
    {
        var response = http.Response;
        response.StatusCode = attempt.StatusCode;
        if (attempt.ContentType != null) response.ContentType = attempt.ContentType.ToString();
        response.Headers["x-wafer-backend"] = attempt.Backend.Name;
        if (attempt.KvPrecision != null) response.Headers["X-Wafer-KV-Precision"] = attempt.KvPrecision; // passed on as the backend said it
        var ct = http.RequestAborted;
        if (attempt.Complete)
        {
            response.ContentLength = attempt.BufferedCount;
            await response.Body.WriteAsync(attempt.Buffered, ct).ConfigureAwait(false);
            onFirstFlush();
            return;
        }
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.Body.WriteAsync(attempt.Buffered, ct).ConfigureAwait(false);
        await response.Body.FlushAsync(ct).ConfigureAwait(false);
        onFirstFlush();
        try
        {
            await attempt.PumpAsync(response.Body, response.Body.FlushAsync, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            // The backend broke mid-stream. Bytes already reached the client, so no retry is
            // possible; abort so the client sees a broken stream rather than a clean end.
            RouterLog.StreamBroken(context.Logger, attempt.Backend.Name, e.Message);
            http.Abort();
        }
    }
}
