using System.Net.Http.Json;
using System.Text.Json;
using Wafer.Server.Tests.Support;

namespace Wafer.Server.Tests;

/// <summary>A thinking template and a grammar that makes the tiny model write a think block: the block comes back as
/// reasoning_content, the rest as content, streamed or not; with --reasoning-format none it stays inline.</summary>
public class ReasoningTests
{
    // The grammar makes any model's answer "<think>plan</think>\n\nHi": what a thinking model writes.
    private const string Body = """
        {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 40, "grammar": "root ::= \"<think>plan</think>\\n\\nHi\"" STREAM}
        """;

    // The tiny model's context is 64 tokens, too short for Qwen3's template: a minimal template that, like every thinking
    // template, mentions <think> (which is what marks a model as thinking).
    private static string Template()
    {
        string path = Path.Combine(Path.GetTempPath(), "wafer-thinking-template.jinja");
        File.WriteAllText(path, "{#- a thinking model: its answers open with <think> -#}{% for m in messages %}{{ m.content }}{% endfor %}");
        return path;
    }

    [Fact]
    public async Task Chat_ThinkBlock_GoesToReasoningContent()
    {
        await using var server = await TinyServer.StartAsync(Template());
        var response = await server.Http.PostAsync("/v1/chat/completions", new StringContent(Body.Replace("STREAM", ""), System.Text.Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var doc = JsonDocument.Parse(text);
        var message = doc.RootElement.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("plan", message.GetProperty("reasoning_content").GetString());
        Assert.Equal("Hi", message.GetProperty("content").GetString());
    }

    [Fact]
    public async Task ChatStreamed_ThinkBlock_DeltaReasoningContentThenContent()
    {
        await using var server = await TinyServer.StartAsync(Template());
        var response = await server.Http.PostAsync("/v1/chat/completions", new StringContent(Body.Replace("STREAM", ", \"stream\": true"), System.Text.Encoding.UTF8, "application/json"));
        string reasoning = "", content = "";
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n'))
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal)) continue;
            using var chunk = JsonDocument.Parse(line["data: ".Length..]);
            var delta = chunk.RootElement.GetProperty("choices")[0].GetProperty("delta");
            if (delta.TryGetProperty("reasoning_content", out var r)) reasoning += r.GetString();
            if (delta.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String) content += c.GetString();
        }
        Assert.Equal("plan", reasoning);
        Assert.Equal("Hi", content);
    }

    [Fact]
    public async Task ReasoningFormatNone_ThinkBlockStaysInline()
    {
        await using var server = await TinyServer.StartAsync(Template(), reasoningFormat: "none");
        var response = await server.Http.PostAsync("/v1/chat/completions", new StringContent(Body.Replace("STREAM", ""), System.Text.Encoding.UTF8, "application/json"));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var message = doc.RootElement.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("<think>plan</think>\n\nHi", message.GetProperty("content").GetString());
        Assert.False(message.TryGetProperty("reasoning_content", out _));
    }
}
