using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.Engine;
using Wafer.Engine.Chat;
using Wafer.Engine.Chat.Tools;
using Wafer.Server.Hosting;
using Wafer.OpenAi.Sse;
using Wafer.Engine.Execution;
using Wafer.Engine.Requests;
using Wafer.Models;
using Wafer.Server.Api;

namespace Wafer.Server.Endpoints;

/// <summary>POST /v1/chat/completions and POST /v1/completions, streamed (SSE) or not.</summary>
/// <remarks>
/// Step 1: parse and validate (400 names the parameter). Step 2: admit (429). Step 3: submit to the engine and wait until it
/// has queued the request: no byte of the response is written before, so every refusal is a plain HTTP error. Step 4: stream
/// or collect the tokens. A failure after a stream's first bytes ends it with an OpenAI-shaped error event (no <c>[DONE]</c>)
/// and counts the request as a 500 in <c>wafer_requests_total</c>.
/// </remarks>
internal static class GenerationEndpoints
{
    /// <summary>HttpContext item set when a stream failed after its 200 headers; the metrics middleware counts it as 500.</summary>
    public const string StreamFailedItem = "wafer.stream_failed";

    public static async Task ChatAsync(HttpContext http, ServerContext server)
    {
        using var body = await RequestBody.ReadAsync(http, server.Options.MaxBodyBytes).ConfigureAwait(false);
        using var served = await ModelAccess.AcquireAsync(http, server, body.RootElement).ConfigureAwait(false);
        var model = served.Model.Model;
        using var generation = ServerTracing.StartGeneration(http, served.Name);
        var ct = http.RequestAborted;
        var (grounding, chat) = await GroundAsync(server, body.RootElement, ct).ConfigureAwait(false);
        var parsed = GenerationRequestParser.ParseChat(chat, GenerationRequestParser.Model.Of(model));
        var json = new OpenAiJson(model.Tokenizer, model.Name, "chatcmpl-" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var reasoning = Reasoning(server.Options, model, parsed);
        using var lease = served.Model.Admission.Admit(parsed.Request.PromptTokens.Count);
        await using var stream = await SubmitAsync(model.Engine, parsed, grounding, ct).ConfigureAwait(false);
        NamePrecision(http, stream);
        if (!parsed.Stream)
        {
            var result = await CollectAsync(stream, lease, ct).ConfigureAwait(false);
            var (thought, answer) = reasoning == null ? (null, result.Text.ToString()) : Whole(reasoning, result.Text.ToString());
            var (content, calls) = ToolUse.Split(answer, parsed.Tools);
            var citations = grounding?.Cite(content ?? "");
            await WriteJsonAsync(http, w => json.ChatCompletion(w, result, parsed.Logprobs, calls, content, thought, citations)).ConfigureAwait(false);
            return;
        }
        var sse = new SseWriter(http.Response);
        await sse.WriteAsync(w => json.ChatChunk(w, "", role: true, null, null), ct).ConfigureAwait(false);
        if (parsed.Tools is { } tools)
        {
            await StreamWithToolsAsync(http, server, sse, json, stream, lease, parsed, tools, reasoning, grounding, ct).ConfigureAwait(false);
            return;
        }
        GenerationUsage? usage = null;
        var answered = grounding != null ? new System.Text.StringBuilder() : null;
        try
        {
            await foreach (var e in stream.WithCancellation(ct).ConfigureAwait(false))
            {
                lease.MarkStarted();
                var logprobs = e.Logprobs != null && e.Token >= 0 ? (e.Token, e.Logprobs) : ((int, TokenLogprobs)?)null;
                var (thought, text) = Split(reasoning, e);
                answered?.Append(text);
                if (text.Length > 0 || thought.Length > 0 || logprobs != null)
                    await sse.WriteAsync(w => json.ChatChunk(w, thought.Length > 0 && text.Length == 0 ? null : text, role: false, logprobs, null, thought), ct).ConfigureAwait(false);
                if (e.FinishReason != null)
                {
                    usage = e.Usage;
                    if (grounding != null)
                    {
                        var citations = grounding.Cite(answered!.ToString());
                        await sse.WriteAsync(w => json.AnnotationsChunk(w, citations), ct).ConfigureAwait(false);
                    }
                    await sse.WriteAsync(w => json.ChatChunk(w, null, role: false, null, e.FinishReason), ct).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            await FailStreamAsync(http, server, sse, e).ConfigureAwait(false);
            return;
        }
        if (parsed.IncludeUsage) await sse.WriteAsync(w => json.UsageChunk(w, "chat.completion.chunk", usage), ct).ConfigureAwait(false);
        await sse.DoneAsync(ct).ConfigureAwait(false);
    }

    /// <summary>A splitter for the answer's thinking block when the model thinks (its template writes &lt;think&gt;) and the
    /// server is not told to keep it inline; it starts inside the block when the prompt already opened it.</summary>
    private static ReasoningSplitter? Reasoning(ServerOptions options, LocalModel model, ParsedGeneration parsed)
    {
        if (options.ReasoningFormat == "none" || !model.Renderer.Thinks) return null;
        return new ReasoningSplitter(startsInside: model.Renderer.OpensThinking(parsed.Request.PromptTokens));
    }

    /// <summary>An event's text as (reasoning, content): all content without a splitter; the splitter's rest at the last event.</summary>
    private static (string Reasoning, string Content) Split(ReasoningSplitter? reasoning, TokenEvent e)
    {
        if (reasoning == null) return ("", e.Text);
        var (thought, text) = reasoning.Push(e.Text);
        if (e.FinishReason == null) return (thought, text);
        var (r, c) = reasoning.Flush();
        return (thought + r, text + c);
    }

    private static (string? Reasoning, string Content) Whole(ReasoningSplitter splitter, string text)
    {
        var (r1, c1) = splitter.Push(text);
        var (r2, c2) = splitter.Flush();
        string reasoning = r1 + r2;
        return (reasoning.Length > 0 ? reasoning : null, c1 + c2);
    }

    /// <summary>A stream whose text may be tool calls (<see cref="ToolCallStreamParser"/>): content goes out as soon as it cannot
    /// open a call, a call as <c>delta.tool_calls</c> with its index, id and name, then its argument fragments as they are
    /// generated (held until whole where the calls are not grammar-constrained), then the finish reason: <c>tool_calls</c>
    /// when calls were made (<c>length</c> when max_tokens cut one).</summary>
    private static async Task StreamWithToolsAsync(HttpContext http, ServerContext server, SseWriter sse, OpenAiJson json, GenerationStream stream,
        Admission.AdmissionController.Lease lease, ParsedGeneration parsed, ToolUse tools, ReasoningSplitter? reasoning, Grounding? grounding, CancellationToken ct)
    {
        var answered = new System.Text.StringBuilder();
        var parser = new ToolCallStreamParser(tools.Format, tools.Definitions, incremental: tools.Forced || parsed.Request.GrammarTrigger != null);
        var deltas = new List<ToolStreamDelta>();
        FinishReason? finish = null;
        GenerationUsage? usage = null;
        try
        {
            await foreach (var e in stream.WithCancellation(ct).ConfigureAwait(false))
            {
                lease.MarkStarted();
                var (thought, text) = Split(reasoning, e);
                if (thought.Length > 0) await sse.WriteAsync(w => json.ChatChunk(w, null, role: false, null, null, thought), ct).ConfigureAwait(false);
                deltas.Clear();
                parser.Push(text, deltas);
                if (e.FinishReason != null)
                {
                    parser.Finish(deltas);
                    finish = e.FinishReason;
                    usage = e.Usage;
                }
                foreach (var d in deltas)
                {
                    if (d.Kind == ToolStreamKind.Content)
                    {
                        answered.Append(d.Text);
                        await sse.WriteAsync(w => json.ChatChunk(w, d.Text, role: false, null, null), ct).ConfigureAwait(false);
                    }
                    else await sse.WriteAsync(w => json.ToolCallChunk(w, d), ct).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            await FailStreamAsync(http, server, sse, e).ConfigureAwait(false);
            return;
        }
        string reason = parser.CallCount > 0 && !parser.InsideCall ? "tool_calls" : GenerationResult.FinishText(finish);
        if (grounding != null)
        {
            var citations = grounding.Cite(answered.ToString());
            await sse.WriteAsync(w => json.AnnotationsChunk(w, citations), ct).ConfigureAwait(false);
        }
        await sse.WriteAsync(w => json.FinishChunk(w, reason), ct).ConfigureAwait(false);
        if (parsed.IncludeUsage) await sse.WriteAsync(w => json.UsageChunk(w, "chat.completion.chunk", usage), ct).ConfigureAwait(false);
        await sse.DoneAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The chat body to run and its grounding: for a request with <c>retrieval</c> (<see cref="RetrievalSpec"/>), the
    /// knowledge base's sources written into its last user message (<see cref="Grounding"/>); else the body as sent.</summary>
    internal static async Task<(Grounding? Grounding, JsonElement Chat)> GroundAsync(ServerContext server, JsonElement body, CancellationToken ct)
    {
        if (body.ValueKind != JsonValueKind.Object || RetrievalSpec.Parse(body, server.Retrieval) is not { } spec) return (null, body);
        var (grounding, chat) = await Grounding.CreateAsync(server.Retrieval!, spec, body, ct).ConfigureAwait(false);
        return (grounding, chat);
    }

    public static async Task CompletionAsync(HttpContext http, ServerContext server)
    {
        using var body = await RequestBody.ReadAsync(http, server.Options.MaxBodyBytes).ConfigureAwait(false);
        using var served = await ModelAccess.AcquireAsync(http, server, body.RootElement).ConfigureAwait(false);
        var model = served.Model.Model;
        using var generation = ServerTracing.StartGeneration(http, served.Name);
        var parsed = GenerationRequestParser.ParseCompletion(body.RootElement, GenerationRequestParser.Model.Of(model));
        var json = new OpenAiJson(model.Tokenizer, model.Name, "cmpl-" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        using var lease = served.Model.Admission.Admit(parsed.Request.PromptTokens.Count);
        var ct = http.RequestAborted;
        await using var stream = await SubmitAsync(model.Engine, parsed, ct).ConfigureAwait(false);
        NamePrecision(http, stream);
        if (!parsed.Stream)
        {
            var r = await CollectAsync(stream, lease, ct).ConfigureAwait(false);
            await WriteJsonAsync(http, w => json.TextCompletion(w, r.Text.ToString(), parsed.Logprobs ? r.Logprobs : null, r.FinishReason, r.Usage, includeUsage: true)).ConfigureAwait(false);
            return;
        }
        var sse = new SseWriter(http.Response);
        GenerationUsage? usage = null;
        try
        {
            await foreach (var e in stream.WithCancellation(ct).ConfigureAwait(false))
            {
                lease.MarkStarted();
                usage = e.Usage ?? usage;
                IReadOnlyList<(int, TokenLogprobs)>? logprobs = parsed.Logprobs && e.Logprobs != null && e.Token >= 0 ? [(e.Token, e.Logprobs)] : null;
                if (e.Text.Length > 0 || logprobs != null || e.FinishReason != null)
                    await sse.WriteAsync(w => json.TextCompletion(w, e.Text, logprobs, e.FinishReason, null, includeUsage: false), ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested && http.Response.HasStarted)
        {
            // Before the first byte the middleware still answers with a plain HTTP error.
            await FailStreamAsync(http, server, sse, e).ConfigureAwait(false);
            return;
        }
        if (parsed.IncludeUsage) await sse.WriteAsync(w => json.UsageChunk(w, "text_completion", usage), ct).ConfigureAwait(false);
        await sse.DoneAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Parses a chat body that another API's request was turned into; errors name the fields as that request spelled
    /// them (<see cref="ApiException.Renamed"/>).</summary>
    internal static ParsedGeneration ParseChat(JsonElement chat, LocalModel model, (string Chat, string Own)[] names)
    {
        try
        {
            return GenerationRequestParser.ParseChat(chat, GenerationRequestParser.Model.Of(model));
        }
        catch (ApiException e)
        {
            throw e.Renamed(names);
        }
    }

    /// <summary><see cref="SubmitAsync(InferenceEngine, ParsedGeneration, CancellationToken)"/> for an API that spells chat
    /// fields otherwise: its refusals name the fields as the request sent them (<see cref="ApiException.Renamed"/>).</summary>
    internal static async Task<GenerationStream> SubmitAsync(InferenceEngine engine, ParsedGeneration parsed, (string Chat, string Own)[] names, CancellationToken ct)
    {
        try
        {
            return await SubmitAsync(engine, parsed, ct).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            throw e.Renamed(names);
        }
    }

    /// <summary><see cref="SubmitAsync(InferenceEngine, ParsedGeneration, CancellationToken)"/> for a grounded request: a prompt
    /// over the context says that it holds the retrieved sources (<see cref="Grounding.TooLong"/>).</summary>
    internal static async Task<GenerationStream> SubmitAsync(InferenceEngine engine, ParsedGeneration parsed, Grounding? grounding, CancellationToken ct)
    {
        try
        {
            return await SubmitAsync(engine, parsed, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (grounding != null)
        {
            throw grounding.TooLong(e);
        }
    }

    /// <summary>The response header that names the KV precision the engine stores the request at (<c>f32</c>, <c>f16</c>,
    /// <c>q8_0</c>; under <c>--adaptive</c> the reduced one while the server is under pressure). <c>usage.kv_precision</c> says the same.</summary>
    public const string KvPrecisionHeader = "X-Wafer-KV-Precision";

    /// <summary>Sets <see cref="KvPrecisionHeader"/> for a request the engine has queued (before the first byte of the body).</summary>
    internal static void NamePrecision(HttpContext http, GenerationStream stream) => http.Response.Headers[KvPrecisionHeader] = stream.KvPrecision;

    /// <summary>Submits the request and waits until the engine has queued it; engine refusals become HTTP errors.</summary>
    internal static async Task<GenerationStream> SubmitAsync(InferenceEngine engine, ParsedGeneration parsed, CancellationToken ct)
    {
        GenerationStream stream;
        try
        {
            stream = engine.Submit(parsed.Request, ct);
        }
        catch (InvalidParameterException e)
        {
            throw ApiErrors.From(e, parsed.PromptParam);
        }
        try
        {
            await stream.Accepted.WaitAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return stream;
    }

    internal static async Task<GenerationResult> CollectAsync(GenerationStream stream, Admission.AdmissionController.Lease lease, CancellationToken ct)
    {
        var result = new GenerationResult();
        await foreach (var e in stream.WithCancellation(ct).ConfigureAwait(false))
        {
            lease.MarkStarted();
            result.Add(e);
        }
        return result;
    }

    /// <summary>Ends a started stream with an error event in OpenAI's shape and marks the request failed for the metrics.</summary>
    internal static async Task FailStreamAsync(HttpContext http, ServerContext server, SseWriter sse, Exception error)
    {
        http.Items[StreamFailedItem] = true;
        var api = ApiErrors.From(error);
        Hosting.ServerLog.StreamFailed(server.Logger, error, http.Request.Path);
        try
        {
            await sse.ErrorAsync(api.Message, api.Type, api.Code, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client is gone too; nothing more to tell it.
        }
    }

    internal static async Task WriteJsonAsync(HttpContext http, Action<Utf8JsonWriter> write)
    {
        http.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(http.Response.Body, Api.JsonOutput.Options);
        write(writer);
        await writer.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }
}
