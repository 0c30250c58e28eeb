using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.OpenAi.Errors;
using Wafer.OpenAi.Json;

namespace Wafer.OpenAi.Sse;

/// <summary>Writes server-sent events: <c>data: {json}\n\n</c> per event, flushed at once, and <c>data: [DONE]\n\n</c> at the end.</summary>
public sealed class SseWriter
{
    private readonly HttpResponse _response;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;

    public SseWriter(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        _response = response;
        _json = new Utf8JsonWriter(_buffer, OpenAiJsonOptions.Writer);
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
    }

    public Task WriteAsync(Action<Utf8JsonWriter> write, CancellationToken cancellationToken) => WriteAsync(null, write, cancellationToken);

    /// <summary>Writes <c>event: name\n</c> (when given) and <c>data: {json}\n\n</c>: the typed events of the Responses and Messages APIs.</summary>
    public async Task WriteAsync(string? eventName, Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        // The whole event in one buffer, one write and one flush: no per-event arrays for the framing.
        _buffer.Clear();
        if (eventName != null)
        {
            _buffer.Write("event: "u8);
            _buffer.Write(System.Text.Encoding.UTF8.GetBytes(eventName));
            _buffer.Write("\n"u8);
        }
        _buffer.Write("data: "u8);
        _json.Reset(_buffer);
        write(_json);
        _json.Flush();
        _buffer.Write("\n\n"u8);
        await _response.Body.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await _response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a mid-stream error event as OpenAI and vLLM do: <c>data: {"error": {"message", "type", "param": null, "code"}}</c>.</summary>
    /// <remarks>The status line has long been sent, so this event is how a client learns the stream failed; the caller decides whether <c>[DONE]</c> follows (vLLM sends it).</remarks>
    public Task ErrorAsync(string message, string type, string? code, CancellationToken cancellationToken) =>
        WriteAsync(new OpenAiError(message, type, null, code).WriteTo, cancellationToken);

    public async Task DoneAsync(CancellationToken cancellationToken)
    {
        await _response.Body.WriteAsync("data: [DONE]\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await _response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
