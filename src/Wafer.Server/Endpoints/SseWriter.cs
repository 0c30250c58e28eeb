using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Wafer.Server.Endpoints;

/// <summary>Writes server-sent events: <c>data: {json}\n\n</c> per event, flushed at once, and <c>data: [DONE]\n\n</c> at the end.</summary>
internal sealed class SseWriter
{
    private readonly HttpResponse _response;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;

    public SseWriter(HttpResponse response)
    {
        _response = response;
        _json = new Utf8JsonWriter(_buffer, Api.JsonOutput.Options);
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
    }

    public async Task WriteAsync(Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        _buffer.Clear();
        _json.Reset(_buffer);
        write(_json);
        _json.Flush();
        await _response.Body.WriteAsync("data: "u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await _response.Body.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await _response.Body.WriteAsync("\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await _response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends a stream that failed after it started: <c>data: {"error": {…}}</c> in OpenAI's shape, no [DONE].</summary>
    public Task ErrorAsync(string message, string type, string? code, CancellationToken cancellationToken) => WriteAsync(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", type);
        w.WriteNull("param");
        if (code != null) w.WriteString("code", code);
        else w.WriteNull("code");
        w.WriteEndObject();
        w.WriteEndObject();
    }, cancellationToken);

    public async Task DoneAsync(CancellationToken cancellationToken)
    {
        await _response.Body.WriteAsync("data: [DONE]\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await _response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
