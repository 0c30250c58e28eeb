using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.Server.Api;

namespace Wafer.Server.Endpoints;

/// <summary>Reads a JSON request body: malformed JSON is a 400 that says where, an oversized body a 413.</summary>
internal static class RequestBody
{
    /// <summary>Kestrel's own hard limit, as a multiple of the configured one: bodies up to it are drained before the 413,
    /// so that clients still sending see the status instead of a broken pipe.</summary>
    public const int DrainFactor = 4;

    public static async Task<JsonDocument> ReadAsync(HttpContext context, long maxBytes)
    {
        var request = context.Request;
        if (request.ContentLength > maxBytes)
        {
            await DrainAsync(request, context.RequestAborted).ConfigureAwait(false);
            throw TooLarge(maxBytes);
        }
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > maxBytes)
                {
                    await DrainAsync(request, context.RequestAborted).ConfigureAwait(false);
                    throw TooLarge(maxBytes);
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(maxBytes);
        }
        buffer.Position = 0;
        try
        {
            return await JsonDocument.ParseAsync(buffer, default, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";
            throw new ApiException(400, $"the request body is not valid JSON{where}", code: "invalid_json");
        }
    }

    private static ApiException TooLarge(long maxBytes) =>
        new(413, $"the request body is larger than {maxBytes} bytes", code: "request_too_large");

    private static async Task DrainAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            await request.Body.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        }
        catch (BadHttpRequestException)
        {
            // Past Kestrel's hard limit the connection is closed anyway.
        }
    }
}
