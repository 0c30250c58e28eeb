using System.Text.Json;
using Wafer.Bench;

namespace Wafer.Bench.Tests;

public class RequestBodyTests
{
    private static readonly BenchRequest Shared = new(0, "You are terse.", "say hi", 5, 32, 1, false);

    [Fact]
    public void Create_ChatWithSystemPrompt_MessagesStreamUsage()
    {
        using var body = JsonDocument.Parse(RequestBody.Create(Shared, "m", EndpointKind.Chat, ignoreEos: false));
        var root = body.RootElement;

        Assert.Equal("m", root.GetProperty("model").GetString());
        var messages = root.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToList();
        Assert.Equal([("system", "You are terse."), ("user", "say hi")], messages);
        Assert.Equal(32, root.GetProperty("max_tokens").GetInt32());
        Assert.True(root.GetProperty("stream").GetBoolean());
        Assert.True(root.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.False(root.TryGetProperty("ignore_eos", out _));
    }

    [Fact]
    public void Create_CompletionsIgnoreEos_PromptJoinsSystemAndUser()
    {
        using var body = JsonDocument.Parse(RequestBody.Create(Shared, "m", EndpointKind.Completions, ignoreEos: true));
        var root = body.RootElement;

        Assert.Equal("You are terse.\n\nsay hi", root.GetProperty("prompt").GetString());
        Assert.False(root.TryGetProperty("messages", out _));
        Assert.True(root.GetProperty("ignore_eos").GetBoolean());
    }
}
