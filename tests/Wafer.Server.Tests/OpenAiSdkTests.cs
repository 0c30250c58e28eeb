using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using ChatMessage = OpenAI.Chat.ChatMessage;

namespace Wafer.Server.Tests;

/// <summary>The official OpenAI .NET SDK (and Microsoft.Extensions.AI over it) against a real <c>wafer serve</c>.</summary>
public class OpenAiSdkTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private OpenAIClient Client() => new(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(shared.Server.Url, "v1") });

    [Fact]
    public async Task ChatClient_Greedy_ReturnsTextAndUsage()
    {
        var chat = Client().GetChatClient("stories260K");
        ChatCompletion completion = await chat.CompleteChatAsync(
            [ChatMessage.CreateUserMessage("Once upon a time")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16 });

        Assert.False(string.IsNullOrEmpty(completion.Content[0].Text));
        Assert.Equal(16, completion.Usage.OutputTokenCount);
        Assert.True(completion.Usage.InputTokenCount > 4);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal("stories260K", completion.Model);
    }

    [Fact]
    public async Task ChatClient_Streaming_ConcatenatesToTheSameText()
    {
        var chat = Client().GetChatClient("stories260K");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 };
        ChatMessage[] messages = [ChatMessage.CreateSystemMessage("Tell a story."), ChatMessage.CreateUserMessage("Lily had a dog.")];
        var whole = (await chat.CompleteChatAsync(messages, options)).Value.Content[0].Text;

        var text = new System.Text.StringBuilder();
        OpenAI.Chat.ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            finish ??= update.FinishReason;
        }

        Assert.Equal(whole, text.ToString());
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Length, finish);
    }

    [Fact]
    public async Task ChatClient_Logprobs_ReportsTopAlternatives()
    {
        var chat = Client().GetChatClient("stories260K");
        ChatCompletion completion = await chat.CompleteChatAsync([ChatMessage.CreateUserMessage("Once upon a time")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 4, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 });

        Assert.Equal(4, completion.ContentTokenLogProbabilities.Count);
        foreach (var t in completion.ContentTokenLogProbabilities)
        {
            Assert.Equal(3, t.TopLogProbabilities.Count);
            Assert.Equal(t.TopLogProbabilities[0].LogProbability, t.LogProbability); // greedy picks the top one
        }
    }

    /// <summary>stories260K knows no JSON: constrained decoding alone makes its answer parse and match the schema.</summary>
    [Fact]
    public async Task ChatClient_JsonSchemaStrict_AnswerMatchesTheSchema()
    {
        var chat = Client().GetChatClient("stories260K");
        const string schema = """
            {"type": "object", "properties": {"mood": {"enum": ["happy", "sad"]}, "dog": {"type": "boolean"},
             "friends": {"type": "array", "items": {"type": "string", "maxLength": 8}, "maxItems": 2}},
             "required": ["mood", "dog", "friends"], "additionalProperties": false}
            """;
        ChatCompletion completion = await chat.CompleteChatAsync([ChatMessage.CreateUserMessage("Lily had a dog.")], new ChatCompletionOptions
        {
            Temperature = 0,
            MaxOutputTokenCount = 400,
            ResponseFormat = OpenAI.Chat.ChatResponseFormat.CreateJsonSchemaFormat("story", BinaryData.FromString(schema), jsonSchemaIsStrict: true),
        });

        Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, completion.FinishReason);
        using var doc = System.Text.Json.JsonDocument.Parse(completion.Content[0].Text);
        Assert.Contains(doc.RootElement.GetProperty("mood").GetString(), new[] { "happy", "sad" });
        Assert.True(doc.RootElement.GetProperty("dog").ValueKind is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False);
        Assert.InRange(doc.RootElement.GetProperty("friends").GetArrayLength(), 0, 2);
    }

    [Fact]
    public async Task ChatClient_JsonObjectStreamed_ConcatenatesToJson()
    {
        var chat = Client().GetChatClient("stories260K");
        var text = new System.Text.StringBuilder();
        OpenAI.Chat.ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([ChatMessage.CreateUserMessage("Once upon a time")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 400, ResponseFormat = OpenAI.Chat.ChatResponseFormat.CreateJsonObjectFormat() }))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            finish ??= update.FinishReason;
        }
        // A JSON object may be long; what came is always a prefix of one, and a whole one when it stopped.
        var grammar = Wafer.Models.Constraints.Grammar.Parse(Wafer.Models.Constraints.JsonGrammars.Object);
        Assert.True(grammar.IsPrefix(text.ToString()), text.ToString());
        if (finish == OpenAI.Chat.ChatFinishReason.Stop) System.Text.Json.JsonDocument.Parse(text.ToString()).Dispose();
        Assert.StartsWith("{", text.ToString().TrimStart());
    }

    [Fact]
    public async Task ChatClient_UnsupportedSchemaKeyword_400NamesIt()
    {
        var chat = Client().GetChatClient("stories260K");
        var e = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([ChatMessage.CreateUserMessage("hi")], new ChatCompletionOptions
        {
            ResponseFormat = OpenAI.Chat.ChatResponseFormat.CreateJsonSchemaFormat("s", BinaryData.FromString("""{"type": "string", "pattern": "^a$"}""")),
        }));
        Assert.Equal(400, e.Status);
        Assert.Contains("'pattern'", e.Message);
    }

    private static readonly ChatTool WeatherTool = ChatTool.CreateFunctionTool("get_weather", "The weather in a city", BinaryData.FromString("""
        {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12}, "days": {"type": "integer"}}, "required": ["city"], "additionalProperties": false}
        """));

    /// <summary>stories260K has never seen a tool: tool_choice "required" alone makes it call one, with arguments of the schema.</summary>
    [Fact]
    public async Task ChatClient_ToolChoiceRequired_ValidCall()
    {
        var chat = Client().GetChatClient("stories260K");
        // One call: greedy decoding of a model that knows no tools would repeat parallel calls until max_tokens.
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 300, ToolChoice = ChatToolChoice.CreateRequiredChoice(), AllowParallelToolCalls = false };
        options.Tools.Add(WeatherTool);
        options.Tools.Add(ChatTool.CreateFunctionTool("now", "The time"));
        ChatCompletion completion = await chat.CompleteChatAsync([ChatMessage.CreateUserMessage("What is the weather in Oslo?")], options);

        Assert.Equal(OpenAI.Chat.ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Single(completion.ToolCalls);
        foreach (var call in completion.ToolCalls)
        {
            Assert.Contains(call.FunctionName, new[] { "get_weather", "now" });
            Assert.StartsWith("call_", call.Id);
            using var args = System.Text.Json.JsonDocument.Parse(call.FunctionArguments);
            if (call.FunctionName == "get_weather") Assert.True(args.RootElement.GetProperty("city").GetString()!.Length <= 12);
        }
    }

    [Fact]
    public async Task ChatClient_NamedToolStreamed_AssemblesOneCall()
    {
        var chat = Client().GetChatClient("stories260K");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 300, ToolChoice = ChatToolChoice.CreateFunctionChoice("get_weather"), AllowParallelToolCalls = false };
        options.Tools.Add(WeatherTool);
        var (ids, names, arguments) = (new Dictionary<int, string>(), new Dictionary<int, string>(), new Dictionary<int, System.Text.StringBuilder>());
        OpenAI.Chat.ChatFinishReason? finish = null;
        int fragments = 0, fragmentsBeforeName = 0;
        await foreach (var update in chat.CompleteChatStreamingAsync([ChatMessage.CreateUserMessage("Weather?")], options))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                if (part.FunctionArgumentsUpdate is { } fragment && fragment.ToArray().Length > 0)
                {
                    fragments++;
                    if (!names.ContainsKey(part.Index)) fragmentsBeforeName++;
                }
                if (part.ToolCallId != null) ids[part.Index] = part.ToolCallId;
                if (part.FunctionName != null) names[part.Index] = part.FunctionName;
                if (!arguments.TryGetValue(part.Index, out var sb)) arguments[part.Index] = sb = new System.Text.StringBuilder();
                sb.Append(part.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
        }
        Assert.Equal(OpenAI.Chat.ChatFinishReason.ToolCalls, finish);
        Assert.Equal("get_weather", Assert.Single(names).Value);
        Assert.StartsWith("call_", ids[0]);
        // As OpenAI streams them: the id and name first, then the arguments in fragments as they are generated.
        Assert.Equal(0, fragmentsBeforeName);
        Assert.True(fragments >= 3, $"the arguments came in {fragments} fragment(s)");
        using var args = System.Text.Json.JsonDocument.Parse(arguments[0].ToString());
        Assert.Equal(System.Text.Json.JsonValueKind.String, args.RootElement.GetProperty("city").ValueKind);
    }

    /// <summary>The tool round trip: the assistant's call and the tool's result go back through the chat template, and the
    /// model answers in text.</summary>
    [Fact]
    public async Task ChatClient_ToolResultRoundTrip_AnswersInText()
    {
        var chat = Client().GetChatClient("stories260K");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 12 };
        options.Tools.Add(WeatherTool);
        ChatMessage[] messages =
        [
            ChatMessage.CreateUserMessage("What is the weather in Oslo?"),
            ChatMessage.CreateAssistantMessage([ChatToolCall.CreateFunctionToolCall("call_1", "get_weather", BinaryData.FromString("""{"city": "Oslo"}"""))]),
            ChatMessage.CreateToolMessage("call_1", "sunny, 20 degrees"),
        ];
        ChatCompletion completion = await chat.CompleteChatAsync(messages, options);
        Assert.NotEqual(OpenAI.Chat.ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.False(string.IsNullOrEmpty(completion.Content[0].Text));
    }

    /// <summary>Microsoft.Extensions.AI's function-invocation loop over the OpenAI client: a forced first call runs the .NET
    /// function, its result goes back, and the loop ends with a text answer.</summary>
    [Fact]
    public async Task ExtensionsAi_UseFunctionInvocation_RunsTheTool()
    {
        int calls = 0;
        var weather = AIFunctionFactory.Create((string city) => { calls++; return $"sunny in {city}"; }, "get_weather", "The weather in a city");
        IChatClient client = new ChatClientBuilder(Client().GetChatClient("stories260K").AsIChatClient()).UseFunctionInvocation().Build();
        var response = await client.GetResponseAsync("What is the weather in Oslo?", new ChatOptions
        {
            Temperature = 0, MaxOutputTokens = 200, Tools = [weather], ToolMode = ChatToolMode.RequireAny, AllowMultipleToolCalls = false,
        });
        Assert.True(calls >= 1);
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionResultContent>().Any());
    }

    [Fact]
    public async Task Models_ListsTheServedModel()
    {
        var models = await Client().GetOpenAIModelClient().GetModelsAsync();
        Assert.Equal("stories260K", Assert.Single(models.Value).Id);
    }

    [Fact]
    public async Task ChatClient_UnknownModel_Throws404()
    {
        var chat = Client().GetChatClient("gpt-9");
        var e = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([ChatMessage.CreateUserMessage("hi")]));
        Assert.Equal(404, e.Status);
        Assert.Contains("gpt-9", e.Message);
    }

    [Fact]
    public async Task MicrosoftExtensionsAi_IChatClient_StreamsAndCompletes()
    {
        IChatClient client = Client().GetChatClient("stories260K").AsIChatClient();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 12 };

        var response = await client.GetResponseAsync("Once upon a time", options);
        var streamed = new System.Text.StringBuilder();
        await foreach (var u in client.GetStreamingResponseAsync("Once upon a time", options)) streamed.Append(u.Text);

        Assert.Equal(response.Text, streamed.ToString());
        Assert.Equal(12, response.Usage!.OutputTokenCount);
    }
}

/// <summary>The README's C# snippet, as written, against a real server.</summary>
public class ReadmeSnippetTests(SharedServer shared) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task ReadmeCSharpSnippet_StreamsText()
    {
        var text = new System.Text.StringBuilder();
        var client = new OpenAIClient(new System.ClientModel.ApiKeyCredential("unused"),
            new OpenAIClientOptions { Endpoint = new Uri(shared.Server.Url, "v1") });
        await foreach (var update in client.GetChatClient("stories260K").CompleteChatStreamingAsync("Once upon a time"))
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
        Assert.True(text.Length > 0);
    }
}
