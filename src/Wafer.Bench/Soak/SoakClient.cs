using System.Net.Http.Headers;
using System.Text.Json;
using Wafer.OpenAi.Sse;
using Wafer.OpenAi.Streaming;

namespace Wafer.Bench.Soak;

/// <summary>Sends one soak request of a given kind and says how it ended: a good request must be answered in full, a
/// cancelled one is abandoned after its first token, a malformed one must be answered 4xx.</summary>
/// <remarks>A request written to a kept-alive connection the server had already closed is sent once more on a fresh one
/// (as <see cref="OpenAiStreamingSender"/> does) and marked <see cref="SoakOutcome.Reconnected"/>.</remarks>
internal sealed class SoakClient(HttpClient http, HttpClient fresh, Uri baseAddress, string model, string? apiKey, TimeSpan timeout)
{
    public async Task<SoakOutcome> SendAsync(SoakRequestKind kind, Random random, int maxTokens, int maxPromptWords, CancellationToken cancellationToken)
    {
        var (path, body) = kind == SoakRequestKind.Bad ? Bad(random) : Good(kind, random, maxTokens, maxPromptWords);
        var first = await AttemptAsync(http, kind, path, body, cancellationToken).ConfigureAwait(false);
        if (!first.ClosedBeforeResponse) return first.Outcome;
        var retry = await AttemptAsync(fresh, kind, path, body, cancellationToken).ConfigureAwait(false);
        return retry.Outcome with { Reconnected = true };
    }

    private static (string Path, byte[] Body) Bad(Random random)
    {
        var bad = SoakBadBodies.All[random.Next(SoakBadBodies.All.Count)];
        return (bad.Path, bad.Bytes);
    }

    private (string Path, byte[] Body) Good(SoakRequestKind kind, Random random, int maxTokens, int maxPromptWords)
    {
        string prompt = string.Join(' ', Enumerable.Range(0, random.Next(1, maxPromptWords + 1)).Select(_ => WordList.Words[random.Next(WordList.Words.Length)]));
        bool chat = kind is SoakRequestKind.ChatStream or SoakRequestKind.Chat or SoakRequestKind.Cancel;
        bool stream = kind is SoakRequestKind.ChatStream or SoakRequestKind.CompletionStream or SoakRequestKind.Cancel;
        // A cancellation asks for the most tokens, so that it is still generating when the client walks away.
        int tokens = kind == SoakRequestKind.Cancel ? maxTokens : random.Next(1, maxTokens + 1);
        var request = new Dictionary<string, object?> { ["model"] = model, ["max_tokens"] = tokens, ["temperature"] = random.NextDouble() < 0.5 ? 0 : 0.8 };
        if (chat) request["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = prompt } };
        else request["prompt"] = prompt;
        if (stream)
        {
            request["stream"] = true;
            request["stream_options"] = new Dictionary<string, bool> { ["include_usage"] = true };
        }
        return (chat ? "v1/chat/completions" : "v1/completions", JsonSerializer.SerializeToUtf8Bytes(request));
    }

    private readonly record struct Attempt(SoakOutcome Outcome, bool ClosedBeforeResponse = false);

    private async Task<Attempt> AttemptAsync(HttpClient client, SoakRequestKind kind, string path, byte[] body, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, path)) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (!string.IsNullOrEmpty(apiKey)) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        int status = 0;
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            return new(await ReadAsync(kind, response, deadline.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new(new(kind, "timeout", status, $"no complete answer within {timeout.TotalSeconds:0.#} s", status != 0));
        }
        catch (HttpRequestException e) when (status == 0 && OpenAiStreamingSender.IsClosedBeforeResponse(e))
        {
            return new(new(kind, "connection_error", 0, Truncate(e.Message), false), ClosedBeforeResponse: true);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return new(new(kind, status == 0 ? "connection_error" : "stream_error", status, Truncate(e.Message), status != 0));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever else a misbehaving server provokes is one failed request, never the end of the soak.
            return new(new(kind, "client_error", status, Truncate($"{e.GetType().Name}: {e.Message}"), status != 0));
        }
    }

    private static async Task<SoakOutcome> ReadAsync(SoakRequestKind kind, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        int status = (int)response.StatusCode;
        bool stream = kind is SoakRequestKind.ChatStream or SoakRequestKind.CompletionStream or SoakRequestKind.Cancel;
        if (kind == SoakRequestKind.Bad || !response.IsSuccessStatusCode || !stream)
        {
            string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return Judge(kind, status, text);
        }
        using var reader = new SseReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        bool finished = false;
        while (await reader.ReadEventAsync(cancellationToken).ConfigureAwait(false) is string data)
        {
            var chunk = StreamChunk.Parse(data);
            if (chunk.Error != null) return new(kind, "stream_error", status, Truncate(chunk.Error), true);
            finished |= data.Contains("finish_reason", StringComparison.Ordinal) && HasFinishReason(data);
            // Disposing the response resets the connection mid-stream: the server sees the client go away.
            if (kind == SoakRequestKind.Cancel && chunk.HasContent) return new(kind, SoakResults.Cancelled, status, null, true);
        }
        if (!reader.SawDone) return new(kind, "no_done", status, "the stream ended without data: [DONE]", true);
        if (!finished) return new(kind, "no_finish_reason", status, "the stream ended without a finish_reason", true);
        // An empty answer (end of text at once) is an answer; so is a cancellation whose stream ended before its first token.
        return new(kind, SoakResults.Ok, status, null, true);
    }

    /// <summary>The result of a complete (non-streamed) answer.</summary>
    internal static SoakOutcome Judge(SoakRequestKind kind, int status, string text)
    {
        string? error = ErrorMessage(text);
        if (kind == SoakRequestKind.Bad)
        {
            if (status is >= 400 and < 500 and not 429) return error != null
                ? new(kind, SoakResults.Rejected, status, null, true)
                : new(kind, "rejected_without_message", status, Truncate(text), true);
            return new(kind, status < 400 ? "bad_request_accepted" : $"status_{status}", status, Truncate(error ?? text), true);
        }
        if (status is 429 or 503 && error != null) return new(kind, SoakResults.Overloaded, status, Truncate(error), true);
        if (status is < 200 or >= 300) return new(kind, $"status_{status}", status, Truncate(error ?? text), true);
        return HasChoicesAndUsage(text) ? new(kind, SoakResults.Ok, status, null, true) : new(kind, "invalid_response", status, Truncate(text), true);
    }

    private static bool HasFinishReason(string chunk)
    {
        try
        {
            using var doc = JsonDocument.Parse(chunk);
            return doc.RootElement.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array
                && choices.EnumerateArray().Any(c => c.ValueKind == JsonValueKind.Object && c.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string? ErrorMessage(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e)
                && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
                ? m.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool HasChoicesAndUsage(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
                && choices[0].TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String
                && root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Truncate(string text) => OpenAiStreamingSender.Truncate(text);
}
