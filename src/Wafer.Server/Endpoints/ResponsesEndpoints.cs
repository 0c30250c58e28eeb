using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.Engine.Chat.Tools;
using Wafer.Engine.Requests;
using Wafer.OpenAi.Sse;
using Wafer.Server.Api;
using Wafer.Server.Hosting;

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
        using var body = await RequestBody.ReadAsync(http, server.Options.MaxBodyBytes).ConfigureAwait(false);
        using var served = await ModelAccess.AcquireAsync(http, server, body.RootElement).ConfigureAwait(false);
        var model = served.Model.Model;
        using var generation = ServerTracing.StartGeneration(http, served.Name);
        var ct = http.RequestAborted;
        var (grounding, chat) = await GenerationEndpoints.GroundAsync(server, ResponsesRequest.ToChat(body.RootElement, server.Retrieval?.Id), ct).ConfigureAwait(false);
        var parsed = GenerationEndpoints.ParseChat(chat, model, ChatNames);
        bool results = body.RootElement.TryGetProperty("include", out var include) && include.ValueKind == JsonValueKind.Array
            && include.EnumerateArray().Any(v => v.GetString() == ResponsesRequest.IncludeSearchResults);
        var response = new ResponseWriter("resp_" + Guid.NewGuid().ToString("N"), model.Name, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), body.RootElement.Clone(), grounding, results);
        using var lease = served.Model.Admission.Admit(parsed.Request.PromptTokens.Count);
        await using var stream = await SubmitAsync(model, parsed, grounding, ct).ConfigureAwait(false);
        GenerationEndpoints.NamePrecision(http, stream);
        if (!parsed.Stream)
        {
            var result = await GenerationEndpoints.CollectAsync(stream, lease, ct).ConfigureAwait(false);
            var (text, calls) = ToolUse.Split(result.Text.ToString(), parsed.Tools);
            var items = new List<OutputItem>();
            if (grounding != null) items.Add(OutputItem.Search());
            if (text != null) items.Add(OutputItem.Message(text));
            foreach (var call in calls) items.Add(OutputItem.Call(call.Id, call.Name, call.Arguments));
            await GenerationEndpoints.WriteJsonAsync(http, w => response.Response(w, Done(result), items, result.Usage)).ConfigureAwait(false);
            return;
        }
        var sse = new SseWriter(http.Response);
        await response.EventAsync(sse, "response.created", w => response.Response(w, "in_progress", [], null), ct).ConfigureAwait(false);
        await response.EventAsync(sse, "response.in_progress", w => response.Response(w, "in_progress", [], null), ct).ConfigureAwait(false);
        // Output items in the order they are generated: text goes out as it comes (with tools, once it cannot open a call),
        // each call as its item, then its argument fragments (ToolCallStreamParser).
        var output = new OutputStream(response, sse, ct);
        if (grounding != null) await output.SearchAsync().ConfigureAwait(false);
        var parser = parsed.Tools is { } tools
            ? new ToolCallStreamParser(tools.Format, tools.Definitions, incremental: tools.Forced || parsed.Request.GrammarTrigger != null) : null;
        var deltas = new List<ToolStreamDelta>();
        var all = new GenerationResult();
        try
        {
            await foreach (var e in stream.WithCancellation(ct).ConfigureAwait(false))
            {
                lease.MarkStarted();
                all.Add(e);
                if (parser == null)
                {
                    if (e.Text.Length > 0) await output.TextAsync(e.Text).ConfigureAwait(false);
                    continue;
                }
                deltas.Clear();
                parser.Push(e.Text, deltas);
                if (e.FinishReason != null) parser.Finish(deltas);
                foreach (var d in deltas) await output.DeltaAsync(d).ConfigureAwait(false);
            }
            if (!output.Items.Any(i => i.Type != OutputItem.SearchType)) await output.TextAsync("").ConfigureAwait(false); // an empty answer is still a message
            await output.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            await GenerationEndpoints.FailStreamAsync(http, server, sse, e).ConfigureAwait(false);
            return;
        }
        string status = Done(all);
        await response.EventAsync(sse, status == "completed" ? "response.completed" : "response.incomplete",
            w => response.Response(w, status, output.Items, all.Usage), ct).ConfigureAwait(false);
    }

    private static async Task<GenerationStream> SubmitAsync(Wafer.Engine.LocalModel model, ParsedGeneration parsed, Grounding? grounding, CancellationToken ct)
    {
        try
        {
            return await GenerationEndpoints.SubmitAsync(model.Engine, parsed, ChatNames, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (grounding != null)
        {
            throw grounding.TooLong(e);
        }
    }

    /// <summary>An item of a response's <c>output</c>: a message's text, a function call with its arguments so far, or the
    /// knowledge-base search (<c>file_search_call</c>) that grounded the answer.</summary>
    private sealed class OutputItem
    {
        public const string SearchType = "file_search_call";

        public required bool IsCall { get; init; }
        public string Type => IsCall ? "function_call" : Id.StartsWith("fs_", StringComparison.Ordinal) ? SearchType : "message";
        public required string Id { get; init; }
        public string CallId { get; init; } = "";
        public string Name { get; init; } = "";
        public System.Text.StringBuilder Text { get; } = new();

        public static OutputItem Message(string text)
        {
            var item = new OutputItem { IsCall = false, Id = "msg_" + Guid.NewGuid().ToString("N") };
            item.Text.Append(text);
            return item;
        }

        public static OutputItem Search() => new() { IsCall = false, Id = "fs_" + Guid.NewGuid().ToString("N") };

        public static OutputItem Call(string callId, string name, string arguments)
        {
            var item = new OutputItem { IsCall = true, Id = "fc_" + callId["call_".Length..], CallId = callId, Name = name };
            item.Text.Append(arguments);
            return item;
        }
    }

    /// <summary>The streamed output: opens, fills and closes items with their typed events.</summary>
    private sealed class OutputStream(ResponseWriter response, SseWriter sse, CancellationToken ct)
    {
        private OutputItem? _open;

        public List<OutputItem> Items { get; } = [];

        public Task DeltaAsync(ToolStreamDelta d) => d.Kind switch
        {
            ToolStreamKind.Content => TextAsync(d.Text),
            ToolStreamKind.CallStart => CallAsync(d),
            _ => ArgumentsAsync(d.Text),
        };

        /// <summary>The file_search_call item, searched already (before generation): added, in progress, searching, completed.</summary>
        public async Task SearchAsync()
        {
            var item = OutputItem.Search();
            Items.Add(item);
            int index = Items.Count - 1;
            await response.EventAsync(sse, "response.output_item.added", w => response.ItemEvent(w, index, item, "in_progress"), ct).ConfigureAwait(false);
            foreach (string phase in (string[])["in_progress", "searching", "completed"])
                await response.EventAsync(sse, "response.file_search_call." + phase, w =>
                {
                    w.WriteNumber("output_index", index);
                    w.WriteString("item_id", item.Id);
                }, ct).ConfigureAwait(false);
            await response.EventAsync(sse, "response.output_item.done", w => response.ItemEvent(w, index, item, "completed"), ct).ConfigureAwait(false);
        }

        public async Task TextAsync(string text)
        {
            if (_open is not { IsCall: false })
            {
                await CloseAsync().ConfigureAwait(false);
                var item = OutputItem.Message("");
                int index = Open(item);
                await response.EventAsync(sse, "response.output_item.added", w => response.ItemEvent(w, index, item, "in_progress"), ct).ConfigureAwait(false);
                await response.EventAsync(sse, "response.content_part.added", w => response.PartEvent(w, index, item, done: false), ct).ConfigureAwait(false);
            }
            _open!.Text.Append(text);
            int at = Items.Count - 1;
            var open = _open;
            if (text.Length > 0) await response.EventAsync(sse, "response.output_text.delta", w => response.TextDeltaEvent(w, at, open, text), ct).ConfigureAwait(false);
        }

        private async Task CallAsync(ToolStreamDelta d)
        {
            await CloseAsync().ConfigureAwait(false);
            var item = OutputItem.Call(d.Id!, d.Text, "");
            int index = Open(item);
            await response.EventAsync(sse, "response.output_item.added", w => response.ItemEvent(w, index, item, "in_progress"), ct).ConfigureAwait(false);
        }

        private Task ArgumentsAsync(string fragment)
        {
            var item = _open!;
            item.Text.Append(fragment);
            int index = Items.Count - 1;
            return response.EventAsync(sse, "response.function_call_arguments.delta", w => response.ArgumentsEvent(w, index, item, fragment, done: false), ct);
        }

        private int Open(OutputItem item)
        {
            Items.Add(item);
            _open = item;
            return Items.Count - 1;
        }

        public async Task CloseAsync()
        {
            if (_open is not { } item) return;
            _open = null;
            int index = Items.Count - 1;
            if (item.IsCall)
            {
                await response.EventAsync(sse, "response.function_call_arguments.done", w => response.ArgumentsEvent(w, index, item, item.Text.ToString(), done: true), ct).ConfigureAwait(false);
            }
            else
            {
                var citations = response.Citations(item.Text.ToString());
                for (int a = 0; a < citations.Count; a++)
                {
                    var citation = citations[a];
                    int annotationIndex = a;
                    await response.EventAsync(sse, "response.output_text.annotation.added", w => response.AnnotationEvent(w, index, item, annotationIndex, citation), ct).ConfigureAwait(false);
                }
                await response.EventAsync(sse, "response.output_text.done", w => response.TextDoneEvent(w, index, item), ct).ConfigureAwait(false);
                await response.EventAsync(sse, "response.content_part.done", w => response.PartEvent(w, index, item, done: true), ct).ConfigureAwait(false);
            }
            await response.EventAsync(sse, "response.output_item.done", w => response.ItemEvent(w, index, item, "completed"), ct).ConfigureAwait(false);
        }
    }

    private static string Done(GenerationResult r) => r.Truncated ? "incomplete" : "completed";

    /// <summary>The response object and its events, with the request's echoed settings.</summary>
    private sealed class ResponseWriter(string id, string model, long created, JsonElement request, Grounding? grounding, bool searchResults)
    {
        private int _sequence;

        /// <summary>The citations of a message's text (none without a file_search tool).</summary>
        public IReadOnlyList<Citation> Citations(string text) => grounding?.Cite(text) ?? [];

        public Task EventAsync(SseWriter sse, string type, Action<Utf8JsonWriter> body, CancellationToken ct) =>
            sse.WriteAsync(type, w =>
            {
                w.WriteStartObject();
                w.WriteString("type", type);
                w.WriteNumber("sequence_number", _sequence++);
                body(w);
                w.WriteEndObject();
            }, ct);

        public void Response(Utf8JsonWriter w, string status, IReadOnlyList<OutputItem> items, GenerationUsage? usage)
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
            if (status != "in_progress")
                foreach (var item in items) Item(w, item, "completed");
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
                w.WriteString("kv_precision", usage.KvPrecision);
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

        private void Item(Utf8JsonWriter w, OutputItem item, string status)
        {
            w.WriteStartObject();
            if (item.Type == OutputItem.SearchType)
            {
                w.WriteString("type", OutputItem.SearchType);
                w.WriteString("id", item.Id);
                w.WriteString("status", status);
                w.WriteStartArray("queries");
                w.WriteStringValue(grounding!.Query);
                w.WriteEndArray();
                if (searchResults && status == "completed") SearchResults(w);
                else w.WriteNull("results");
            }
            else if (item.IsCall)
            {
                w.WriteString("type", "function_call");
                w.WriteString("id", item.Id);
                w.WriteString("call_id", item.CallId);
                w.WriteString("name", item.Name);
                w.WriteString("arguments", status == "completed" ? item.Text.ToString() : "");
                w.WriteString("status", status);
            }
            else
            {
                w.WriteString("type", "message");
                w.WriteString("id", item.Id);
                w.WriteString("status", status);
                w.WriteString("role", "assistant");
                w.WriteStartArray("content");
                if (status == "completed") Part(w, item.Text.ToString());
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }

        // The chunks found, as OpenAI lists file_search results (file id, file name, score, text), with the path and span.
        private void SearchResults(Utf8JsonWriter w)
        {
            w.WriteStartArray("results");
            foreach (var s in grounding!.Sources)
            {
                w.WriteStartObject();
                w.WriteString("file_id", s.FileId);
                w.WriteString("filename", s.FileName);
                w.WriteNumber("score", s.Hit.Fused);
                w.WriteString("text", s.Hit.Text);
                w.WriteStartObject("attributes");
                w.WriteString("path", s.Hit.Path);
                w.WriteString("title", s.Hit.Title);
                w.WriteNumber("chunk_id", s.Hit.ChunkId);
                w.WriteNumber("start", s.Hit.Start);
                w.WriteNumber("end", s.Hit.End);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }

        private void Part(Utf8JsonWriter w, string text, bool done = true)
        {
            w.WriteStartObject();
            w.WriteString("type", "output_text");
            w.WriteString("text", text);
            w.WriteStartArray("annotations");
            if (done)
                foreach (var c in Citations(text)) Grounding.WriteFileCitation(w, c);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        public void AnnotationEvent(Utf8JsonWriter w, int index, OutputItem item, int annotationIndex, Citation citation)
        {
            w.WriteString("item_id", item.Id);
            w.WriteNumber("output_index", index);
            w.WriteNumber("content_index", 0);
            w.WriteNumber("annotation_index", annotationIndex);
            w.WritePropertyName("annotation");
            Grounding.WriteFileCitation(w, citation);
        }

        public void ItemEvent(Utf8JsonWriter w, int index, OutputItem item, string status)
        {
            w.WriteNumber("output_index", index);
            w.WritePropertyName("item");
            Item(w, item, status);
        }

        public void PartEvent(Utf8JsonWriter w, int index, OutputItem item, bool done)
        {
            w.WriteString("item_id", item.Id);
            w.WriteNumber("output_index", index);
            w.WriteNumber("content_index", 0);
            w.WritePropertyName("part");
            Part(w, done ? item.Text.ToString() : "", done);
        }

        public void TextDeltaEvent(Utf8JsonWriter w, int index, OutputItem item, string delta)
        {
            w.WriteString("item_id", item.Id);
            w.WriteNumber("output_index", index);
            w.WriteNumber("content_index", 0);
            w.WriteString("delta", delta);
        }

        public void TextDoneEvent(Utf8JsonWriter w, int index, OutputItem item)
        {
            w.WriteString("item_id", item.Id);
            w.WriteNumber("output_index", index);
            w.WriteNumber("content_index", 0);
            w.WriteString("text", item.Text.ToString());
        }

        public void ArgumentsEvent(Utf8JsonWriter w, int index, OutputItem item, string arguments, bool done)
        {
            w.WriteString("item_id", item.Id);
            w.WriteNumber("output_index", index);
            w.WriteString(done ? "arguments" : "delta", arguments);
        }
    }
}
