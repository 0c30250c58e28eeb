using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.Engine;
using Wafer.Engine.Requests;
using Wafer.Server.Api;

namespace Wafer.Server.Endpoints;

/// <summary>POST /v1/chat/completions and POST /v1/completions, streamed (SSE) or not.</summary>
internal static class GenerationEndpoints
{
    public static async Task ChatAsync(HttpContext http, ServerContext server)
    {
        var model = server.Host.Require();
        using var body = await RequestBody.ReadAsync(http, server.Options.MaxBodyBytes).ConfigureAwait(false);
        var parsed = GenerationRequestParser.ParseChat(body.RootElement, model, server.ContextLength);
        var json = new OpenAiJson(model.Tokenizer, model.Name, "chatcmpl-" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        using var lease = server.Admission.Admit(parsed.Request.PromptTokens.Count);
        if (!parsed.Stream)
        {
            var result = await CollectAsync(model, parsed, lease, http.RequestAborted).ConfigureAwait(false);
            await WriteJsonAsync(http, w => json.ChatCompletion(w, result, parsed.Logprobs)).ConfigureAwait(false);
            return;
        }
        var sse = new SseWriter(http.Response);
        var ct = http.RequestAborted;
        await sse.WriteAsync(w => json.ChatChunk(w, "", role: true, null, null), ct).ConfigureAwait(false);
        GenerationUsage? usage = null;
        await foreach (var e in model.Engine.GenerateAsync(parsed.Request, ct).ConfigureAwait(false))
        {
            lease.MarkStarted();
            var logprobs = e.Logprobs != null && e.Token >= 0 ? (e.Token, e.Logprobs) : ((int, Engine.Execution.TokenLogprobs)?)null;
            if (e.Text.Length > 0 || logprobs != null)
                await sse.WriteAsync(w => json.ChatChunk(w, e.Text, role: false, logprobs, null), ct).ConfigureAwait(false);
            if (e.FinishReason != null)
            {
                usage = e.Usage;
                await sse.WriteAsync(w => json.ChatChunk(w, null, role: false, null, e.FinishReason), ct).ConfigureAwait(false);
            }
        }
        if (parsed.IncludeUsage) await sse.WriteAsync(w => json.UsageChunk(w, "chat.completion.chunk", usage), ct).ConfigureAwait(false);
        await sse.DoneAsync(ct).ConfigureAwait(false);
    }

    public static async Task CompletionAsync(HttpContext http, ServerContext server)
    {
        var model = server.Host.Require();
        using var body = await RequestBody.ReadAsync(http, server.Options.MaxBodyBytes).ConfigureAwait(false);
        var parsed = GenerationRequestParser.ParseCompletion(body.RootElement, model, server.ContextLength);
        var json = new OpenAiJson(model.Tokenizer, model.Name, "cmpl-" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        using var lease = server.Admission.Admit(parsed.Request.PromptTokens.Count);
        if (!parsed.Stream)
        {
            var r = await CollectAsync(model, parsed, lease, http.RequestAborted).ConfigureAwait(false);
            await WriteJsonAsync(http, w => json.TextCompletion(w, r.Text.ToString(), parsed.Logprobs ? r.Logprobs : null, r.FinishReason, r.Usage, includeUsage: true)).ConfigureAwait(false);
            return;
        }
        var sse = new SseWriter(http.Response);
        var ct = http.RequestAborted;
        GenerationUsage? usage = null;
        await foreach (var e in model.Engine.GenerateAsync(parsed.Request, ct).ConfigureAwait(false))
        {
            lease.MarkStarted();
            usage = e.Usage ?? usage;
            IReadOnlyList<(int, Engine.Execution.TokenLogprobs)>? logprobs = parsed.Logprobs && e.Logprobs != null && e.Token >= 0 ? [(e.Token, e.Logprobs)] : null;
            if (e.Text.Length > 0 || logprobs != null || e.FinishReason != null)
                await sse.WriteAsync(w => json.TextCompletion(w, e.Text, logprobs, e.FinishReason, null, includeUsage: false), ct).ConfigureAwait(false);
        }
        if (parsed.IncludeUsage) await sse.WriteAsync(w => json.UsageChunk(w, "text_completion", usage), ct).ConfigureAwait(false);
        await sse.DoneAsync(ct).ConfigureAwait(false);
    }

    private static async Task<GenerationResult> CollectAsync(LocalModel model, ParsedGeneration parsed, Admission.AdmissionController.Lease lease, CancellationToken ct)
    {
        var result = new GenerationResult();
        await foreach (var e in model.Engine.GenerateAsync(parsed.Request, ct).ConfigureAwait(false))
        {
            lease.MarkStarted();
            result.Add(e);
        }
        return result;
    }

    internal static async Task WriteJsonAsync(HttpContext http, Action<Utf8JsonWriter> write)
    {
        http.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(http.Response.Body, Api.JsonOutput.Options);
        write(writer);
        await writer.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }
}
