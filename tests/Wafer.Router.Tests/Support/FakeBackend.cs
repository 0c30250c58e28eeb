using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Wafer.Router.Tests.Support;

/// <summary>A fake OpenAI-compatible backend on a free loopback port: scripted first-token delays, logprobs and statuses.</summary>
internal sealed class FakeBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;
    private int _cancelled;
    private int _ended;

    private FakeBackend(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>Delay before the first token of the request with this 1-based index.</summary>
    public Func<int, TimeSpan> FirstTokenDelay { get; set; } = _ => TimeSpan.Zero;

    /// <summary>Logprob reported for every token.</summary>
    public double Logprob { get; set; } = -0.1;

    /// <summary>Tokens of every answer (one chunk each when streaming).</summary>
    public IReadOnlyList<string> Tokens { get; set; } = ["Once", " upon", " a", " time"];

    public string FinishReason { get; set; } = "stop";

    /// <summary>Status for generation requests; 200 answers normally.</summary>
    public int Status { get; set; } = 200;

    /// <summary>Retry-After header value sent with a non-200 <see cref="Status"/>; null sends none.</summary>
    public string? RetryAfter { get; set; }

    public bool Healthy { get; set; } = true;

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Requests whose client (the router) closed the connection before the answer ended.</summary>
    public int Cancelled => Volatile.Read(ref _cancelled);

    /// <summary>Requests whose handler has returned (answered, refused or cancelled); equal to <see cref="Requests"/> when none is in flight.</summary>
    public int Ended => Volatile.Read(ref _ended);

    public static async Task<FakeBackend> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeBackend(app);
        app.MapGet("/health", http =>
        {
            http.Response.StatusCode = fake.Healthy ? 200 : 503;
            return Task.CompletedTask;
        });
        app.MapPost("/v1/chat/completions", http => fake.GenerateAsync(http, chat: true));
        app.MapPost("/v1/completions", http => fake.GenerateAsync(http, chat: false));
        await app.StartAsync();
        fake.Url = new Uri(app.Urls.First());
        return fake;
    }

    private async Task GenerateAsync(HttpContext http, bool chat)
    {
        int index = Interlocked.Increment(ref _requests);
        try
        {
            await AnswerAsync(http, chat, index);
        }
        finally
        {
            Interlocked.Increment(ref _ended);
        }
    }

    private async Task AnswerAsync(HttpContext http, bool chat, int index)
    {
        using var doc = await JsonDocument.ParseAsync(http.Request.Body);
        bool stream = doc.RootElement.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        bool logprobs = doc.RootElement.TryGetProperty("logprobs", out var lp) && lp.ValueKind is JsonValueKind.True or JsonValueKind.Number;
        if (Status != 200)
        {
            http.Response.StatusCode = Status;
            if (RetryAfter != null) http.Response.Headers.RetryAfter = RetryAfter;
            await http.Response.WriteAsync("{\"error\":{\"message\":\"scripted\",\"type\":\"server_error\"}}");
            return;
        }
        var ct = http.RequestAborted;
        try
        {
            if (!stream)
            {
                await Task.Delay(FirstTokenDelay(index), ct);
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync(Whole(chat, logprobs), ct);
                return;
            }
            http.Response.ContentType = "text/event-stream";
            if (chat) await EventAsync(http, "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}");
            await Task.Delay(FirstTokenDelay(index), ct);
            foreach (var token in Tokens) await EventAsync(http, Piece(chat, token, logprobs, null));
            await EventAsync(http, Piece(chat, "", false, FinishReason));
            await EventAsync(http, "{\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":" + Tokens.Count + "}}");
            await http.Response.WriteAsync("data: [DONE]\n\n", ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Interlocked.Increment(ref _cancelled);
        }
    }

    private static async Task EventAsync(HttpContext http, string json)
    {
        await http.Response.WriteAsync("data: " + json + "\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }

    private string Piece(bool chat, string text, bool logprobs, string? finish)
    {
        string lp = logprobs ? (chat ? $"{{\"content\":[{{\"token\":{JsonSerializer.Serialize(text)},\"logprob\":{Num(Logprob)}}}]}}" : $"{{\"tokens\":[{JsonSerializer.Serialize(text)}],\"token_logprobs\":[{Num(Logprob)}]}}") : "null";
        string fin = finish == null ? "null" : $"\"{finish}\"";
        return chat
            ? $"{{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{JsonSerializer.Serialize(text)}}},\"logprobs\":{lp},\"finish_reason\":{fin}}}]}}"
            : $"{{\"choices\":[{{\"index\":0,\"text\":{JsonSerializer.Serialize(text)},\"logprobs\":{lp},\"finish_reason\":{fin}}}]}}";
    }

    private string Whole(bool chat, bool logprobs)
    {
        string text = JsonSerializer.Serialize(string.Concat(Tokens));
        var sb = new StringBuilder();
        foreach (var t in Tokens) sb.Append(sb.Length > 0 ? "," : "").Append($"{{\"token\":{JsonSerializer.Serialize(t)},\"logprob\":{Num(Logprob)}}}");
        string lp = logprobs ? (chat ? $"{{\"content\":[{sb}]}}" : $"{{\"token_logprobs\":[{string.Join(',', Tokens.Select(_ => Num(Logprob)))}]}}") : "null";
        string usage = $"\"usage\":{{\"prompt_tokens\":10,\"completion_tokens\":{Tokens.Count},\"total_tokens\":{10 + Tokens.Count}}}";
        return chat
            ? $"{{\"object\":\"chat.completion\",\"choices\":[{{\"index\":0,\"message\":{{\"role\":\"assistant\",\"content\":{text}}},\"logprobs\":{lp},\"finish_reason\":\"{FinishReason}\"}}],{usage}}}"
            : $"{{\"object\":\"text_completion\",\"choices\":[{{\"index\":0,\"text\":{text},\"logprobs\":{lp},\"finish_reason\":\"{FinishReason}\"}}],{usage}}}";
    }

    private static string Num(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
