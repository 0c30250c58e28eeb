using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.OpenAi.Json;

namespace Wafer.OpenAi.Errors;

/// <summary>Writes an <see cref="OpenAiError"/> as a whole HTTP response: status, optional Retry-After, JSON body.</summary>
public static class OpenAiErrorResponse
{
    /// <summary>Writes the error; the caller checks first that the response has not started.</summary>
    public static async Task WriteAsync(HttpResponse response, int status, OpenAiError error, int? retryAfterSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(error);
        response.StatusCode = status;
        if (retryAfterSeconds is int seconds) response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(response.Body, OpenAiJsonOptions.Writer);
        error.WriteTo(writer);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
