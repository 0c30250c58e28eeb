using System.Text;
using System.Text.Json;
using Wafer.Engine.Chat.Tools;
using Wafer.Engine.Execution;
using Wafer.Engine.Requests;
using Wafer.Models.Tokenization;

namespace Wafer.Server.Api;

/// <summary>Writes the OpenAI response objects (chat.completion, chat.completion.chunk, text_completion) with Utf8JsonWriter.</summary>
internal sealed class OpenAiJson(Tokenizer tokenizer, string model, string id, long created)
{
    public void ChatCompletion(Utf8JsonWriter w, GenerationResult r, bool logprobs, IReadOnlyList<ToolCall>? calls = null, string? content = null, string? reasoning = null,
        IReadOnlyList<Citation>? citations = null)
    {
        Header(w, "chat.completion");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        if (calls is { Count: > 0 })
        {
            if (content != null) w.WriteString("content", content);
            else w.WriteNull("content");
            ToolCalls(w, calls);
        }
        else
        {
            w.WriteString("content", content ?? r.Text.ToString());
        }
        if (!string.IsNullOrEmpty(reasoning)) w.WriteString("reasoning_content", reasoning);
        if (citations != null) Annotations(w, citations);
        w.WriteEndObject();
        if (logprobs) ChatLogprobs(w, r.Logprobs);
        else w.WriteNull("logprobs");
        w.WriteString("finish_reason", calls is { Count: > 0 } ? "tool_calls" : GenerationResult.FinishText(r.FinishReason));
        w.WriteEndObject();
        w.WriteEndArray();
        Usage(w, r.Usage);
        w.WriteEndObject();
    }

    /// <summary>One streamed chunk; <paramref name="role"/> on the first, <paramref name="finish"/> on the last.</summary>
    public void ChatChunk(Utf8JsonWriter w, string? content, bool role, (int Token, TokenLogprobs Logprobs)? logprobs, FinishReason? finish, string? reasoning = null)
    {
        OpenDelta(w);
        if (role) w.WriteString("role", "assistant");
        if (content != null) w.WriteString("content", content);
        if (!string.IsNullOrEmpty(reasoning)) w.WriteString("reasoning_content", reasoning);
        CloseDelta(w, finish != null ? GenerationResult.FinishText(finish) : null, logprobs);
    }

    /// <summary>A streamed chunk carrying the answer's citations (<c>delta.annotations</c>), sent after its text.</summary>
    public void AnnotationsChunk(Utf8JsonWriter w, IReadOnlyList<Citation> citations)
    {
        OpenDelta(w);
        Annotations(w, citations);
        CloseDelta(w, null);
    }

    private static void Annotations(Utf8JsonWriter w, IReadOnlyList<Citation> citations)
    {
        w.WriteStartArray("annotations");
        foreach (var c in citations) Grounding.WriteUrlCitation(w, c);
        w.WriteEndArray();
    }

    // A chunk's envelope around its delta: the header, choices[0] and its index, then (closing) logprobs and finish_reason.
    private void OpenDelta(Utf8JsonWriter w)
    {
        Header(w, "chat.completion.chunk");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
    }

    private void CloseDelta(Utf8JsonWriter w, string? finish, (int Token, TokenLogprobs Logprobs)? logprobs = null)
    {
        w.WriteEndObject();
        if (logprobs is { } lp) ChatLogprobs(w, [lp]);
        else w.WriteNull("logprobs");
        if (finish != null) w.WriteString("finish_reason", finish);
        else w.WriteNull("finish_reason");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>A streamed chunk carrying a piece of a tool call (OpenAI's <c>delta.tool_calls</c>): its start (index, id,
    /// type, name and empty arguments) or the next fragment of its arguments (index and arguments only).</summary>
    public void ToolCallChunk(Utf8JsonWriter w, ToolStreamDelta delta)
    {
        OpenDelta(w);
        w.WriteStartArray("tool_calls");
        w.WriteStartObject();
        w.WriteNumber("index", delta.Index);
        if (delta.Kind == ToolStreamKind.CallStart)
        {
            w.WriteString("id", delta.Id);
            w.WriteString("type", "function");
        }
        w.WriteStartObject("function");
        if (delta.Kind == ToolStreamKind.CallStart)
        {
            w.WriteString("name", delta.Text);
            w.WriteString("arguments", "");
        }
        else
        {
            w.WriteString("arguments", delta.Text);
        }
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        CloseDelta(w, null);
    }

    /// <summary>The last chunk of a stream, with a finish reason given as text (e.g. "tool_calls").</summary>
    public void FinishChunk(Utf8JsonWriter w, string finish)
    {
        OpenDelta(w);
        CloseDelta(w, finish);
    }

    private static void ToolCalls(Utf8JsonWriter w, IReadOnlyList<ToolCall> calls)
    {
        w.WriteStartArray("tool_calls");
        for (int i = 0; i < calls.Count; i++)
        {
            w.WriteStartObject();
            w.WriteString("id", calls[i].Id);
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", calls[i].Name);
            w.WriteString("arguments", calls[i].Arguments);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>The final usage-only chunk of a stream (choices empty), for stream_options.include_usage.</summary>
    public void UsageChunk(Utf8JsonWriter w, string objectName, GenerationUsage? usage)
    {
        Header(w, objectName);
        w.WriteStartArray("choices");
        w.WriteEndArray();
        Usage(w, usage);
        w.WriteEndObject();
    }

    public void TextCompletion(Utf8JsonWriter w, string text, IReadOnlyList<(int Token, TokenLogprobs Logprobs)>? logprobs, FinishReason? finish, GenerationUsage? usage, bool includeUsage)
    {
        Header(w, "text_completion");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteString("text", text);
        w.WriteNumber("index", 0);
        if (logprobs != null) CompletionLogprobs(w, logprobs);
        else w.WriteNull("logprobs");
        if (finish != null) w.WriteString("finish_reason", GenerationResult.FinishText(finish));
        else w.WriteNull("finish_reason");
        w.WriteEndObject();
        w.WriteEndArray();
        if (includeUsage) Usage(w, usage);
        w.WriteEndObject();
    }

    private void Header(Utf8JsonWriter w, string objectName)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", objectName);
        w.WriteNumber("created", created);
        w.WriteString("model", model);
        w.WriteString("system_fingerprint", "wafer");
    }

    private static void Usage(Utf8JsonWriter w, GenerationUsage? u)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", u?.PromptTokens ?? 0);
        w.WriteNumber("completion_tokens", u?.CompletionTokens ?? 0);
        w.WriteNumber("total_tokens", (u?.PromptTokens ?? 0) + (u?.CompletionTokens ?? 0));
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", u?.CachedPromptTokens ?? 0);
        w.WriteEndObject();
        if (u != null) w.WriteString("kv_precision", u.KvPrecision); // Wafer's: the KV precision that served the request (--adaptive)
        if (u is { Speculative: true })
        {
            // OpenAI's Predicted Outputs counts, here for every speculative draft (a prediction's or the n-gram lookup's).
            w.WriteStartObject("completion_tokens_details");
            w.WriteNumber("accepted_prediction_tokens", u.AcceptedPredictionTokens);
            w.WriteNumber("rejected_prediction_tokens", u.RejectedPredictionTokens);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private void ChatLogprobs(Utf8JsonWriter w, IEnumerable<(int Token, TokenLogprobs Logprobs)> tokens)
    {
        w.WriteStartObject("logprobs");
        w.WriteStartArray("content");
        foreach (var (token, lp) in tokens)
        {
            w.WriteStartObject();
            TokenFields(w, token, lp.LogProb);
            w.WriteStartArray("top_logprobs");
            foreach (var (alt, altLp) in lp.Top)
            {
                w.WriteStartObject();
                TokenFields(w, alt, altLp);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private void CompletionLogprobs(Utf8JsonWriter w, IReadOnlyList<(int Token, TokenLogprobs Logprobs)> tokens)
    {
        w.WriteStartObject("logprobs");
        w.WriteStartArray("tokens");
        foreach (var (token, _) in tokens) w.WriteStringValue(Piece(token));
        w.WriteEndArray();
        w.WriteStartArray("token_logprobs");
        foreach (var (_, lp) in tokens) w.WriteNumberValue(lp.LogProb);
        w.WriteEndArray();
        w.WriteStartArray("top_logprobs");
        foreach (var (_, lp) in tokens)
        {
            w.WriteStartObject();
            foreach (var (alt, altLp) in lp.Top) w.WriteNumber(Piece(alt), altLp);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("text_offset");
        int offset = 0;
        foreach (var (token, _) in tokens)
        {
            w.WriteNumberValue(offset);
            offset += Piece(token).Length;
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private void TokenFields(Utf8JsonWriter w, int token, float logprob)
    {
        var bytes = tokenizer.TokenBytes(token);
        w.WriteString("token", Encoding.UTF8.GetString(bytes));
        w.WriteNumber("logprob", logprob);
        w.WriteStartArray("bytes");
        foreach (byte b in bytes) w.WriteNumberValue(b);
        w.WriteEndArray();
    }

    private string Piece(int token) => Encoding.UTF8.GetString(tokenizer.TokenBytes(token));
}
