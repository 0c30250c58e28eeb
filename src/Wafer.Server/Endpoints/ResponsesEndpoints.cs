using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.Engine.Chat.Tools;
using Wafer.Engine.Requests;
using Wafer.OpenAi.Sse;
using Wafer.Server.Api;

namespace Wafer.Server.Endpoints;

/// <summary><c>POST /v1/responses</c>: the OpenAI Responses API (stateless subset) over the chat path
/// (<see cref="ResponsesRequest"/>), answered as a <c>response</c> object or as its typed event stream.</summary>
internal static class ResponsesEndpoints
{
    /// <summary>Chat fields as this API spells them, for errors the shared chat parser raises.</summary>
    private static readonly (string Chat, string Own)[] ChatNames =
    [
        ("max_tokens", "max_output_tokens"), ("response_format", "text.format"), ("messages", "input"),
        ("tools[i].function.parameters", "tools[i].parameters"), ("tools[i].function.name", "tools[i].name"), ("tools[i].function", "tools[i]"),
    ];

    public static async Task ResponsesAsync(HttpContext http, ServerContext server)
    {
        var model = server.Host.Require();
        using var body = await RequestBody.ReadAsync(http, server.Options.MaxBodyBytes).ConfigureAwait(false);
        var chat = ResponsesRequest.ToChat(body.RootElement);
        ParsedGeneration parsed;
        try
        {
            parsed = GenerationRequestParser.ParseChat(chat, GenerationRequestParser.Model.Of(model));
        }
        catch (ApiException e)
        {
            throw e.Renamed(ChatNames);
        }
        var response = new ResponseWriter("resp_" + Guid.NewGuid().ToString("N"), model.Name, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), body.RootElement.Clone());
        using var lease = server.Admission.Admit(parsed.Request.PromptTokens.Count);
        var ct = http.RequestAborted;
        GenerationStream stream;
        try
        {
            stream = await GenerationEndpoints.SubmitAsync(model.Engine, parsed, ct).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            throw e.Renamed(ChatNames);
        }
        await using var _ = stream;
        if (!parsed.Stream)
        {
            var result = await GenerationEndpoints.CollectAsync(stream, lease, ct).ConfigureAwait(false);
            var (text, calls) = ToolUse.Split(result.Text.ToString(), parsed.Tools);
            await GenerationEndpoints.WriteJsonAsync(http, w => response.Response(w, Done(result), text, calls, result.Usage)).ConfigureAwait(false);
            return;
        }
        var sse = new SseWriter(http.Response);
        await response.EventAsync(sse, "response.created", w => response.Response(w, "in_progress", null, [], null), ct).ConfigureAwait(false);
        await response.EventAsync(sse, "response.in_progress", w => response.Response(w, "in_progress", null, [], null), ct).ConfigureAwait(false);
        var all = new GenerationResult();
        bool streamingText = parsed.Tools == null;
        try
        {
            if (streamingText)
            {
                await response.EventAsync(sse, "response.output_item.added", w => response.MessageItemEvent(w, "in_progress", ""), ct).ConfigureAwait(false);
                await response.EventAsync(sse, "response.content_part.added", w => response.PartEvent(w, ""), ct).ConfigureAwait(false);
            }
            await foreach (var e in stream.WithCancellation(ct).ConfigureAwait(false))
            {
                lease.MarkStarted();
                all.Add(e);
                if (streamingText && e.Text.Length > 0)
                    await response.EventAsync(sse, "response.output_text.delta", w => response.DeltaEvent(w, e.Text), ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            await GenerationEndpoints.FailStreamAsync(http, server, sse, e).ConfigureAwait(false);
            return;
        }
        var (finalText, finalCalls) = ToolUse.Split(all.Text.ToString(), parsed.Tools);
        if (finalText != null && !streamingText)
        {
            await response.EventAsync(sse, "response.output_item.added", w => response.MessageItemEvent(w, "in_progress", ""), ct).ConfigureAwait(false);
            await response.EventAsync(sse, "response.content_part.added", w => response.PartEvent(w, ""), ct).ConfigureAwait(false);
            await response.EventAsync(sse, "response.output_text.delta", w => response.DeltaEvent(w, finalText), ct).ConfigureAwait(false);
        }
        if (finalText != null || streamingText)
        {
            string shown = finalText ?? all.Text.ToString();
            await response.EventAsync(sse, "response.output_text.done", w => response.TextDoneEvent(w, shown), ct).ConfigureAwait(false);
            await response.EventAsync(sse, "response.content_part.done", w => response.PartEvent(w, shown, done: true), ct).ConfigureAwait(false);
            await response.EventAsync(sse, "response.output_item.done", w => response.MessageItemEvent(w, "completed", shown), ct).ConfigureAwait(false);
        }
        for (int i = 0; i < finalCalls.Count; i++)
        {
            var call = finalCalls[i];
            int index = i + (finalText != null || streamingText ? 1 : 0);
            await response.EventAsync(sse, "response.output_item.added", w => response.CallItemEvent(w, index, call, "in_progress", ""), ct).ConfigureAwait(false);
            await response.EventAsync(sse, "response.function_call_arguments.delta", w => response.ArgumentsEvent(w, index, call, call.Arguments, done: false), ct).ConfigureAwait(false);
            await response.EventAsync(sse, "response.function_call_arguments.done", w => response.ArgumentsEvent(w, index, call, call.Arguments, done: true), ct).ConfigureAwait(false);
            await response.EventAsync(sse, "response.output_item.done", w => response.CallItemEvent(w, index, call, "completed", call.Arguments), ct).ConfigureAwait(false);
        }
        string status = Done(all);
        await response.EventAsync(sse, status == "completed" ? "response.completed" : "response.incomplete",
            w => response.Response(w, status, finalText ?? (finalCalls.Count == 0 ? all.Text.ToString() : null), finalCalls, all.Usage), ct).ConfigureAwait(false);
    }

    private static string Done(GenerationResult r) => r.Truncated ? "incomplete" : "completed";

    /// <summary>The response object and its events, with the request's echoed settings.</summary>
    private sealed class ResponseWriter(string id, string model, long created, JsonElement request)
    {
        private readonly string _messageId = "msg_" + Guid.NewGuid().ToString("N");
        private int _sequence;

        public Task EventAsync(SseWriter sse, string type, Action<Utf8JsonWriter> body, CancellationToken ct) =>
            sse.WriteAsync(type, w =>
            {
                w.WriteStartObject();
                w.WriteString("type", type);
                w.WriteNumber("sequence_number", _sequence++);
                body(w);
                w.WriteEndObject();
            }, ct);

        public void Response(Utf8JsonWriter w, string status, string? text, IReadOnlyList<ToolCall> calls, GenerationUsage? usage)
        {
            bool nested = w.CurrentDepth > 0;
            if (nested) w.WritePropertyName("response");
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "response");
            w.WriteNumber("created_at", created);
            w.WriteString("status", status);
            w.WriteNull("error");
            if (status == "incomplete")
            {
                w.WriteStartObject("incomplete_details");
                w.WriteString("reason", "max_output_tokens");
                w.WriteEndObject();
            }
            else w.WriteNull("incomplete_details");
            Echo(w, "instructions");
            Echo(w, "max_output_tokens");
            w.WriteString("model", model);
            w.WriteStartArray("output");
            if (text != null && status != "in_progress") MessageItem(w, "completed", text);
            foreach (var call in calls) CallItem(w, call, "completed", call.Arguments);
            w.WriteEndArray();
            w.WriteBoolean("parallel_tool_calls", !request.TryGetProperty("parallel_tool_calls", out var p) || p.ValueKind != JsonValueKind.False);
            w.WriteNull("previous_response_id");
            Echo(w, "temperature");
            Echo(w, "top_p");
            w.WritePropertyName("text");
            if (request.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.Object) t.WriteTo(w);
            else
            {
                w.WriteStartObject();
                w.WriteStartObject("format");
                w.WriteString("type", "text");
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WritePropertyName("tool_choice");
            if (request.TryGetProperty("tool_choice", out var tc) && tc.ValueKind != JsonValueKind.Null) tc.WriteTo(w);
            else w.WriteStringValue("auto");
            w.WritePropertyName("tools");
            if (request.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array) tools.WriteTo(w);
            else { w.WriteStartArray(); w.WriteEndArray(); }
            w.WritePropertyName("metadata");
            if (request.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object) m.WriteTo(w);
            else { w.WriteStartObject(); w.WriteEndObject(); }
            if (usage != null)
            {
                w.WriteStartObject("usage");
                w.WriteNumber("input_tokens", usage.PromptTokens);
                w.WriteStartObject("input_tokens_details");
                w.WriteNumber("cached_tokens", usage.CachedPromptTokens);
                w.WriteEndObject();
                w.WriteNumber("output_tokens", usage.CompletionTokens);
                w.WriteStartObject("output_tokens_details");
                w.WriteNumber("reasoning_tokens", 0);
                w.WriteEndObject();
                w.WriteNumber("total_tokens", usage.PromptTokens + usage.CompletionTokens);
                w.WriteEndObject();
            }
            else w.WriteNull("usage");
            w.WriteEndObject();
        }

        private void Echo(Utf8JsonWriter w, string name)
        {
            w.WritePropertyName(name);
            if (request.TryGetProperty(name, out var v)) v.WriteTo(w);
            else w.WriteNullValue();
        }

        private void MessageItem(Utf8JsonWriter w, string status, string text)
        {
            w.WriteStartObject();
            w.WriteString("type", "message");
            w.WriteString("id", _messageId);
            w.WriteString("status", status);
            w.WriteString("role", "assistant");
            w.WriteStartArray("content");
            if (status == "completed") Part(w, text);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        private static void Part(Utf8JsonWriter w, string text)
        {
            w.WriteStartObject();
            w.WriteString("type", "output_text");
            w.WriteString("text", text);
            w.WriteStartArray("annotations");
            w.WriteEndArray();
            w.WriteEndObject();
        }

        private static void CallItem(Utf8JsonWriter w, ToolCall call, string status, string arguments)
        {
            w.WriteStartObject();
            w.WriteString("type", "function_call");
            w.WriteString("id", "fc_" + call.Id["call_".Length..]);
            w.WriteString("call_id", call.Id);
            w.WriteString("name", call.Name);
            w.WriteString("arguments", arguments);
            w.WriteString("status", status);
            w.WriteEndObject();
        }

        public void MessageItemEvent(Utf8JsonWriter w, string status, string text)
        {
            w.WriteNumber("output_index", 0);
            w.WritePropertyName("item");
            MessageItem(w, status, text);
        }

        public void PartEvent(Utf8JsonWriter w, string text, bool done = false)
        {
            w.WriteString("item_id", _messageId);
            w.WriteNumber("output_index", 0);
            w.WriteNumber("content_index", 0);
            w.WritePropertyName("part");
            Part(w, done ? text : "");
        }

        public void DeltaEvent(Utf8JsonWriter w, string delta)
        {
            w.WriteString("item_id", _messageId);
            w.WriteNumber("output_index", 0);
            w.WriteNumber("content_index", 0);
            w.WriteString("delta", delta);
        }

        public void TextDoneEvent(Utf8JsonWriter w, string text)
        {
            w.WriteString("item_id", _messageId);
            w.WriteNumber("output_index", 0);
            w.WriteNumber("content_index", 0);
            w.WriteString("text", text);
        }

        public void CallItemEvent(Utf8JsonWriter w, int index, ToolCall call, string status, string arguments)
        {
            w.WriteNumber("output_index", index);
            w.WritePropertyName("item");
            CallItem(w, call, status, arguments);
        }

        public void ArgumentsEvent(Utf8JsonWriter w, int index, ToolCall call, string arguments, bool done)
        {
            w.WriteString("item_id", "fc_" + call.Id["call_".Length..]);
            w.WriteNumber("output_index", index);
            w.WriteString(done ? "arguments" : "delta", arguments);
        }
    }
}
