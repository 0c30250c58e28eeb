using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.Engine.Chat.Tools;
using Wafer.Engine.Requests;
using Wafer.OpenAi.Sse;
using Wafer.Server.Api;
using Wafer.Server.Hosting;

namespace Wafer.Server.Endpoints;

/// <summary><c>POST /v1/messages</c> and <c>/v1/messages/count_tokens</c>: the Anthropic Messages API over the chat path
/// (<see cref="MessagesRequest"/>), answered as a <c>message</c> or as its event stream; errors in Anthropic's shape.</summary>
internal static class MessagesEndpoints
{
    public static async Task CountTokensAsync(HttpContext http, ServerContext server)
    {
        using var body = await RequestBody.ReadAsync(http, server.Options.MaxBodyBytes).ConfigureAwait(false);
        using var served = await ModelAccess.AcquireAsync(http, server, body.RootElement).ConfigureAwait(false);
        var model = served.Model.Model;
        using var generation = ServerTracing.StartGeneration(http, served.Name);
        var parsed = GenerationEndpoints.ParseChat(MessagesRequest.ToChat(body.RootElement, countOnly: true), model, ChatNames);
        await GenerationEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("input_tokens", parsed.Request.PromptTokens.Count);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>Chat fields as this API spells them, for errors the shared chat parser raises.</summary>
    private static readonly (string Chat, string Own)[] ChatNames =
    [
        ("stop", "stop_sequences"), ("tools[i].function.parameters", "tools[i].input_schema"), ("tools[i].function.name", "tools[i].name"),
        ("tools[i].function", "tools[i]"),
    ];

    public static async Task MessagesAsync(HttpContext http, ServerContext server)
    {
        using var body = await RequestBody.ReadAsync(http, server.Options.MaxBodyBytes).ConfigureAwait(false);
        using var served = await ModelAccess.AcquireAsync(http, server, body.RootElement).ConfigureAwait(false);
        var model = served.Model.Model;
        using var generation = ServerTracing.StartGeneration(http, served.Name);
        var parsed = GenerationEndpoints.ParseChat(MessagesRequest.ToChat(body.RootElement), model, ChatNames);
        string id = "msg_" + Guid.NewGuid().ToString("N");
        using var lease = served.Model.Admission.Admit(parsed.Request.PromptTokens.Count);
        var ct = http.RequestAborted;
        await using var stream = await GenerationEndpoints.SubmitAsync(model.Engine, parsed, ChatNames, ct).ConfigureAwait(false);
        GenerationEndpoints.NamePrecision(http, stream);
        if (!parsed.Stream)
        {
            var result = await GenerationEndpoints.CollectAsync(stream, lease, ct).ConfigureAwait(false);
            var (text, calls) = ToolUse.Split(result.Text.ToString(), parsed.Tools);
            await GenerationEndpoints.WriteJsonAsync(http, w => Message(w, id, model.Name, text, calls, StopReason(result, calls), result.Usage, parsed.Request.PromptTokens.Count)).ConfigureAwait(false);
            return;
        }
        var sse = new SseWriter(http.Response);
        await sse.WriteAsync("message_start", w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "message_start");
            w.WritePropertyName("message");
            Message(w, id, model.Name, null, [], null, null, parsed.Request.PromptTokens.Count);
            w.WriteEndObject();
        }, ct).ConfigureAwait(false);
        var all = new GenerationResult();
        // Content blocks in the order they are generated: text as it comes (with tools, once it cannot open a call), each
        // call as a tool_use block, then its input as input_json_delta fragments (ToolCallStreamParser).
        var parser = parsed.Tools is { } tools
            ? new ToolCallStreamParser(tools.Format, tools.Definitions, incremental: tools.Forced || parsed.Request.GrammarTrigger != null) : null;
        var deltas = new List<ToolStreamDelta>();
        int index = -1, callCount = 0;
        bool textOpen = false, cutInsideCall = false;
        try
        {
            await foreach (var e in stream.WithCancellation(ct).ConfigureAwait(false))
            {
                lease.MarkStarted();
                all.Add(e);
                deltas.Clear();
                if (parser == null)
                {
                    if (e.Text.Length > 0) deltas.Add(new ToolStreamDelta(ToolStreamKind.Content, 0, e.Text));
                }
                else
                {
                    parser.Push(e.Text, deltas);
                    if (e.FinishReason != null)
                    {
                        parser.Finish(deltas);
                        cutInsideCall = parser.InsideCall;
                    }
                }
                foreach (var d in deltas)
                {
                    switch (d.Kind)
                    {
                        case ToolStreamKind.Content:
                            if (!textOpen)
                            {
                                if (index >= 0) await BlockStopAsync(sse, index, ct).ConfigureAwait(false);
                                await BlockStartAsync(sse, ++index, null, ct).ConfigureAwait(false);
                                textOpen = true;
                            }
                            await TextDeltaAsync(sse, index, d.Text, ct).ConfigureAwait(false);
                            break;
                        case ToolStreamKind.CallStart:
                            if (index >= 0) await BlockStopAsync(sse, index, ct).ConfigureAwait(false);
                            await BlockStartAsync(sse, ++index, new ToolCall(d.Id!, d.Text, ""), ct).ConfigureAwait(false);
                            textOpen = false;
                            callCount++;
                            break;
                        default:
                            await JsonDeltaAsync(sse, index, d.Text, ct).ConfigureAwait(false);
                            break;
                    }
                }
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            http.Items[GenerationEndpoints.StreamFailedItem] = true;
            var api = ApiErrors.From(e);
            await sse.WriteAsync("error", w =>
            {
                w.WriteStartObject();
                w.WriteString("type", "error");
                w.WriteStartObject("error");
                w.WriteString("type", api.Status == 503 ? "overloaded_error" : "api_error");
                w.WriteString("message", api.Message);
                w.WriteEndObject();
                w.WriteEndObject();
            }, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        if (index < 0) await BlockStartAsync(sse, ++index, null, ct).ConfigureAwait(false); // an empty answer is still one text block
        await BlockStopAsync(sse, index, ct).ConfigureAwait(false);
        string stop = callCount > 0 && !cutInsideCall ? "tool_use" : StopReason(all, []);
        await sse.WriteAsync("message_delta", w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "message_delta");
            w.WriteStartObject("delta");
            w.WriteString("stop_reason", stop);
            StopSequence(w, all.Usage, stop);
            w.WriteEndObject();
            w.WriteStartObject("usage");
            w.WriteNumber("output_tokens", all.Usage?.CompletionTokens ?? 0);
            w.WriteEndObject();
            w.WriteEndObject();
        }, ct).ConfigureAwait(false);
        await sse.WriteAsync("message_stop", w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "message_stop");
            w.WriteEndObject();
        }, ct).ConfigureAwait(false);
    }

    private static Task BlockStartAsync(SseWriter sse, int index, ToolCall? call, CancellationToken ct) => sse.WriteAsync("content_block_start", w =>
    {
        w.WriteStartObject();
        w.WriteString("type", "content_block_start");
        w.WriteNumber("index", index);
        w.WriteStartObject("content_block");
        if (call == null)
        {
            w.WriteString("type", "text");
            w.WriteString("text", "");
        }
        else
        {
            w.WriteString("type", "tool_use");
            w.WriteString("id", ToolUseId(call));
            w.WriteString("name", call.Name);
            w.WriteStartObject("input");
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }, ct);

    private static Task JsonDeltaAsync(SseWriter sse, int index, string json, CancellationToken ct) => DeltaAsync(sse, index, "input_json_delta", "partial_json", json, ct);

    private static Task TextDeltaAsync(SseWriter sse, int index, string text, CancellationToken ct) => DeltaAsync(sse, index, "text_delta", "text", text, ct);

    private static Task DeltaAsync(SseWriter sse, int index, string type, string field, string value, CancellationToken ct) => sse.WriteAsync("content_block_delta", w =>
    {
        w.WriteStartObject();
        w.WriteString("type", "content_block_delta");
        w.WriteNumber("index", index);
        w.WriteStartObject("delta");
        w.WriteString("type", type);
        w.WriteString(field, value);
        w.WriteEndObject();
        w.WriteEndObject();
    }, ct);

    private static Task BlockStopAsync(SseWriter sse, int index, CancellationToken ct) => sse.WriteAsync("content_block_stop", w =>
    {
        w.WriteStartObject();
        w.WriteString("type", "content_block_stop");
        w.WriteNumber("index", index);
        w.WriteEndObject();
    }, ct);

    private static string ToolUseId(ToolCall call) => "toolu_" + call.Id["call_".Length..];

    private static string StopReason(GenerationResult r, IReadOnlyList<ToolCall> calls) =>
        calls.Count > 0 ? "tool_use" : r.Truncated ? "max_tokens" : r.Usage?.StopString != null ? "stop_sequence" : "end_turn";

    private static void StopSequence(Utf8JsonWriter w, GenerationUsage? usage, string? stop)
    {
        if (stop == "stop_sequence" && usage?.StopString is { } matched) w.WriteString("stop_sequence", matched);
        else w.WriteNull("stop_sequence");
    }

    private static void Message(Utf8JsonWriter w, string id, string model, string? text, IReadOnlyList<ToolCall> calls, string? stop, GenerationUsage? usage, int promptTokens)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("type", "message");
        w.WriteString("role", "assistant");
        w.WriteString("model", model);
        w.WriteStartArray("content");
        if (!string.IsNullOrEmpty(text) || (stop != null && calls.Count == 0))
        {
            w.WriteStartObject();
            w.WriteString("type", "text");
            w.WriteString("text", text ?? "");
            w.WriteEndObject();
        }
        foreach (var call in calls)
        {
            w.WriteStartObject();
            w.WriteString("type", "tool_use");
            w.WriteString("id", ToolUseId(call));
            w.WriteString("name", call.Name);
            w.WritePropertyName("input");
            using (var args = JsonDocument.Parse(call.Arguments)) args.RootElement.WriteTo(w);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (stop != null) w.WriteString("stop_reason", stop);
        else w.WriteNull("stop_reason");
        StopSequence(w, usage, stop);
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", usage?.PromptTokens ?? promptTokens);
        w.WriteNumber("output_tokens", usage?.CompletionTokens ?? 0);
        w.WriteNumber("cache_read_input_tokens", usage?.CachedPromptTokens ?? 0);
        w.WriteNumber("cache_creation_input_tokens", 0);
        if (usage != null) w.WriteString("kv_precision", usage.KvPrecision);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
