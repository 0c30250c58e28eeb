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

    /// <summary>A stop sequence that matched is reported as such, with the sequence (Anthropic's stop_reason and stop_sequence).</summary>
    [Fact]
    public async Task Create_StopSequence_ReportedWithTheSequence()
    {
        // Raw HTTP: the SDK has no temperature, and the two answers must be the same greedy text.
        using var http = new HttpClient { BaseAddress = shared.Server.Url };
        async Task<JsonElement> Ask(string[] stops)
        {
            var response = await http.PostAsJsonAsync("/v1/messages", new { model = "stories260K", max_tokens = 24, temperature = 0, stop_sequences = stops,
                messages = new[] { new { role = "user", content = "Once upon a time" } } });
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            return JsonDocument.Parse(body).RootElement;
        }
        var first = await Ask([]);
        string free = first.GetProperty("content")[0].GetProperty("text").GetString()!;
        string word = free.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]; // the answer's second word: generated for sure
        var stopped = await Ask([word]);
        Assert.Equal("stop_sequence", stopped.GetProperty("stop_reason").GetString());
        Assert.Equal(word, stopped.GetProperty("stop_sequence").GetString());
        Assert.DoesNotContain(word, stopped.GetProperty("content")[0].GetProperty("text").GetString()!);
        Assert.Equal(JsonValueKind.Null, first.GetProperty("stop_sequence").ValueKind);
        Assert.Equal("max_tokens", first.GetProperty("stop_reason").GetString());
    }

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

    /// <summary>A streamed tool_use: the block starts with its id and name, its input arrives as input_json_delta fragments
    /// that parse to the schema's JSON, and the message stops with tool_use.</summary>
    [Fact]
    public async Task CreateStreaming_ToolChoiceAny_InputInFragments()
    {
        var json = new System.Text.StringBuilder();
        int fragments = 0;
        string? name = null, stop = null;
        await foreach (var e in Client().Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "stories260K",
            MaxTokens = 200,
            Messages = [new UserMessageParam("What is the weather in Oslo?")],
            Tools = [new Tool { Name = "get_weather", InputSchema = CitySchema }],
            ToolChoice = new ToolChoiceAny { DisableParallelToolUse = true },
        }))
        {
            if (e.Value is RawContentBlockStartEvent { ContentBlock.Value: ToolUseBlock use }) name = use.Name;
            if (e.Value is RawContentBlockDeltaEvent { Delta.Value: InputJsonDelta delta })
            {
                Assert.Equal("get_weather", name);
                json.Append(delta.PartialJson);
                fragments++;
            }
            if (e.Value is RawMessageDeltaEvent md) stop = md.Delta.StopReason?.Raw();
        }
        Assert.True(fragments >= 3, $"{fragments} fragment(s)");
        using var input = JsonDocument.Parse(json.ToString());
        Assert.Equal(JsonValueKind.String, input.RootElement.GetProperty("city").ValueKind);
        Assert.Equal("tool_use", stop);
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

    /// <summary>Errors from the shared chat parser name the field as the Messages request spelled it.</summary>
    [Fact]
    public async Task BadRequest_NamesTheMessagesField()
    {
        using var http = new HttpClient { BaseAddress = shared.Server.Url };
        var response = await http.PostAsJsonAsync("/v1/messages", new
        {
            model = "stories260K", max_tokens = 5, messages = new[] { new { role = "user", content = "hi" } },
            tools = new[] { new { name = "f", input_schema = (object)5 } },
        });
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("tools[0].input_schema", text);
        Assert.DoesNotContain("function", text);
    }
}
