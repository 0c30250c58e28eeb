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
        return Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    /// <summary>Parses a body as JSON; bad bytes anywhere (invalid UTF-8, an escape that is no character) are a 400 that says where.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> bytes)
    {
        int bad = InvalidUtf8Offset(bytes.Span);
        if (bad >= 0) throw new ApiException(400, $"the request body is not valid UTF-8: byte {bad + 1} does not start or continue a character", code: "invalid_encoding");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException) when (DuplicateKey(bytes) is string key)
        {
            throw new ApiException(400, $"the request body has the key {key} twice; send each key once", code: "duplicate_key");
        }
        catch (InvalidOperationException)
        {
            // The duplicate-key check reads every key, and a key whose \u escape is no character throws; the syntax is
            // valid by then, so read it leniently and let the check below name that key.
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            string at = e.LineNumber is long line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";
            throw new ApiException(400, $"the request body is not valid JSON{at}", code: "invalid_json");
        }
        if (bytes.Span.IndexOf("\\u"u8) >= 0 && FirstBadString(document.RootElement) is string where)
        {
            document.Dispose();
            throw new ApiException(400, $"the request body's {where} holds a \\u escape that is no character (an unpaired UTF-16 surrogate)", code: "invalid_encoding");
        }
        return document;
    }

    /// <summary>Where a key appears twice in one object, e.g. "'messages[0].role'"; null when the body has no duplicate key.
    /// Runs only after the strict parse failed, so valid bodies are read once.</summary>
    private static string? DuplicateKey(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            return FirstDuplicate(document.RootElement, "");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null; // not JSON at all, or a key that is no text: the caller's message says so
        }
    }

    private static string? FirstDuplicate(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                int index = 0;
                foreach (var item in element.EnumerateArray())
                    if (FirstDuplicate(item, $"{path}[{index++}]") is string found) return found;
                return null;
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    string at = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    if (!names.Add(property.Name)) return $"'{at}'";
                    if (FirstDuplicate(property.Value, at) is string found) return found;
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>Offset of the first byte that is not valid UTF-8, or −1.</summary>
    private static int InvalidUtf8Offset(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return -1;
        Span<char> scratch = stackalloc char[512];
        int offset = 0;
        while (true)
        {
            var status = System.Text.Unicode.Utf8.ToUtf16(bytes[offset..], scratch, out int read, out _, replaceInvalidSequences: false);
            offset += read;
            if (status != System.Buffers.OperationStatus.DestinationTooSmall) return offset;
        }
    }

    /// <summary>Where the first string (or property name) that cannot be read as text is, e.g. "messages[0].content"; null if none.</summary>
    private static string? FirstBadString(JsonElement element, string path = "body")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                try
                {
                    _ = element.GetString();
                    return null;
                }
                catch (InvalidOperationException)
                {
                    return path;
                }
            case JsonValueKind.Array:
                int index = 0;
                foreach (var item in element.EnumerateArray())
                    if (FirstBadString(item, $"{path}[{index++}]") is string bad) return bad;
                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return $"{path} (a property name)";
                    }
                    if (FirstBadString(property.Value, path == "body" ? name : $"{path}.{name}") is string bad) return bad;
                }
                return null;
            default:
                return null;
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
