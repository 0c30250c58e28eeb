using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.Server.Api;

namespace Wafer.Server.Endpoints;

/// <summary>Reads a JSON request body: malformed JSON is a 400 that says where, an oversized body a 413.</summary>
internal static class RequestBody
{
    public static async Task<JsonDocument> ReadAsync(HttpContext context)
    {
        try
        {
            return await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";
            throw new ApiException(400, $"the request body is not valid JSON{where}", code: "invalid_json");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new ApiException(413, "the request body is too large", code: "request_too_large");
        }
    }
}
