using System.Net.Http.Json;
using System.Text.Json;
using Anthropic;
using Anthropic.Models.Messages;

namespace Wafer.Server.Tests;

/// <summary><c>POST /v1/messages</c> through the official Anthropic .NET SDK against a real <c>wafer serve</c>, and its error shape.</summary>
public class MessagesApiTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private AnthropicClient Client() => new() { BaseUrl = shared.Server.Url.ToString().TrimEnd('/'), ApiKey = "unused", MaxRetries = 0 };

    private static readonly InputSchema CitySchema = new()
    {
        Properties = new Dictionary<string, JsonElement> { ["city"] = JsonDocument.Parse("""{"type": "string", "maxLength": 10}""").RootElement },
        Required = ["city"],
    };

    [Fact]
    public async Task Create_Text_ContentAndUsage()
    {
        var message = await Client().Messages.Create(new MessageCreateParams
        {
            Model = "stories260K",
            MaxTokens = 12,
            System = "Tell a story.",
            Messages = [new UserMessageParam("Once upon a time")],
        });
        var text = Assert.IsType<TextBlock>(Assert.Single(message.Content).Value);
        Assert.False(string.IsNullOrEmpty(text.Text));
        Assert.Equal("max_tokens", message.RawData["stop_reason"].GetString());
        Assert.Equal(12, message.Usage.OutputTokens);
        Assert.True(message.Usage.InputTokens > 4);
    }

    [Fact]
    public async Task CreateStreaming_EventsCarryTheText()
    {
        var text = new System.Text.StringBuilder();
        var kinds = new List<string>();
        await foreach (var e in Client().Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "stories260K",
            MaxTokens = 12,
            Messages = [new UserMessageParam("Once upon a time")],
        }))
        {
            kinds.Add(e.Value!.GetType().Name);
            if (e.Value is RawContentBlockDeltaEvent { Delta.Value: TextDelta delta }) text.Append(delta.Text);
        }
        Assert.Equal("RawMessageStartEvent", kinds[0]);
        Assert.Equal("RawMessageStopEvent", kinds[^1]);
        Assert.Contains("RawMessageDeltaEvent", kinds);
        Assert.False(string.IsNullOrEmpty(text.ToString()));
    }

    [Fact]
    public async Task Create_ToolChoiceAny_ToolUseWithSchemaInput()
    {
        var message = await Client().Messages.Create(new MessageCreateParams
        {
            Model = "stories260K",
            MaxTokens = 200,
            Messages = [new UserMessageParam("What is the weather in Oslo?")],
            Tools = [new Tool { Name = "get_weather", Description = "The weather in a city", InputSchema = CitySchema }],
            ToolChoice = new ToolChoiceAny { DisableParallelToolUse = true },
        });
        Assert.Equal("tool_use", message.RawData["stop_reason"].GetString());
        var use = Assert.IsType<ToolUseBlock>(Assert.Single(message.Content, c => c.Value is ToolUseBlock).Value);
        Assert.Equal("get_weather", use.Name);
        Assert.StartsWith("toolu_", use.ID);
        Assert.Equal(JsonValueKind.String, use.Input["city"].ValueKind);
    }

    [Fact]
    public async Task CountTokens_SameAsTheMessagesInputTokens()
    {
        var count = await Client().Messages.CountTokens(new MessageCountTokensParams
        {
            Model = "stories260K",
            Messages = [new UserMessageParam("Once upon a time")],
        });
        var message = await Client().Messages.Create(new MessageCreateParams
        {
            Model = "stories260K",
            MaxTokens = 1,
            Messages = [new UserMessageParam("Once upon a time")],
        });
        Assert.Equal(message.Usage.InputTokens, count.InputTokens);
    }

    [Fact]
    public async Task BadRequest_AnthropicErrorShape()
    {
        using var http = new HttpClient { BaseAddress = shared.Server.Url };
        var response = await http.PostAsJsonAsync("/v1/messages", new { model = "stories260K", messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(400, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("error", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", doc.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("max_tokens", doc.RootElement.GetProperty("error").GetProperty("message").GetString());
    }
}
