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
