using Microsoft.Extensions.DependencyInjection;
using Wafer.Engine.Chat;
using Microsoft.Extensions.AI;
using Wafer.Engine.Scheduling;

namespace Wafer.Engine.Tests;

public class WaferChatClientTests
{
    private static LocalModel Load() => LocalModel.Load(Fixtures.Path(EngineFixture.ModelFile),
        new EngineOptions { Scheduler = new SchedulerOptions { ContextLength = 512, MaxSequences = 4 }, KvCacheTokens = 2048 }, threads: 2);

    [Fact]
    public async Task GetResponseAsync_Greedy_EqualsStreamedText()
    {
        await using var model = Load();
        IChatClient client = model.AsChatClient();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 24 };
        ChatMessage[] messages = [new(ChatRole.System, "You tell stories."), new(ChatRole.User, "Once upon a time")];

        var response = await client.GetResponseAsync(messages, options);
        var streamed = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync(messages, options)) streamed.Add(u);

        Assert.False(string.IsNullOrEmpty(response.Text));
        Assert.Equal(response.Text, string.Concat(streamed.Select(u => u.Text)));
        Assert.Equal(24, response.Usage!.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(ChatFinishReason.Length, streamed[^1].FinishReason);
        Assert.Equal(model.Name, client.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    /// <summary>Microsoft.Extensions.AI's typed JSON helper over a local model: the constrained answer deserializes.</summary>
    [Fact]
    public async Task GetResponseAsync_Typed_JsonSchemaAnswerDeserializes()
    {
        await using var model = Load();
        IChatClient client = model.AsChatClient();
        var response = await client.GetResponseAsync<Pet>([new(ChatRole.User, "Lily had a dog.")],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 300 }, useJsonSchemaResponseFormat: true);
        Assert.True(response.TryGetResult(out var pet), response.Text);
        Assert.NotNull(pet);
        Assert.NotNull(pet.Name);
    }

    /// <summary>Microsoft.Extensions.AI's function-invocation loop against a local model, no server: the forced first call
    /// runs the .NET function, its result goes back through the template, and the loop ends in text.</summary>
    [Fact]
    public async Task UseFunctionInvocation_LocalModel_RunsTheTool()
    {
        await using var model = Load();
        int calls = 0;
        var weather = AIFunctionFactory.Create((string city) => { calls++; return $"sunny in {city}"; }, "get_weather", "The weather in a city");
        IChatClient client = new ChatClientBuilder(model.AsChatClient()).UseFunctionInvocation().Build();
        var response = await client.GetResponseAsync([new(ChatRole.User, "What is the weather in Oslo?")], new ChatOptions
        {
            Temperature = 0, MaxOutputTokens = 100, Tools = [weather], ToolMode = ChatToolMode.RequireAny, AllowMultipleToolCalls = false,
        });
        Assert.True(calls >= 1);
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionCallContent>().Any(c => c.Name == "get_weather"));
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionResultContent>().Any());
    }

    [Fact]
    public async Task AddWaferModel_ResolvesChatClientEmbeddingsAndComposesWithMiddleware()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddWaferModel(Wafer.Tests.Fixtures.Path(EngineFixture.ModelFile));
        services.AddKeyedChatClient("tools", sp => Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<LocalModel>(sp).AsChatClient()).UseFunctionInvocation();
        await using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
        var chat = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IChatClient>(provider);
        var withTools = Microsoft.Extensions.DependencyInjection.ServiceProviderKeyedServiceExtensions.GetRequiredKeyedService<IChatClient>(provider, "tools");
        Assert.NotNull(withTools.GetService<FunctionInvokingChatClient>());
        var response = await chat.GetResponseAsync("Once upon a time", new ChatOptions { Temperature = 0, MaxOutputTokens = 8 });
        Assert.False(string.IsNullOrEmpty(response.Text));
        var embeddings = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(provider);
        Assert.NotEmpty((await embeddings.GenerateAsync(["hello"]))[0].Vector.ToArray());
        Assert.Throws<FileNotFoundException>(() => new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddWaferModel("missing.gguf"));
    }

    public sealed record Pet(string Name, bool Friendly, long Legs); // "integer" without bounds: up to 16 digits

    [Fact]
    public async Task GetResponseAsync_ImageOrUnsupportedSchema_RefusedNotIgnored()
    {
        await using var model = Load();
        IChatClient client = model.AsChatClient();
        ChatMessage[] text = [new(ChatRole.User, "hi")];
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(text, new ChatOptions
        {
            ResponseFormat = ChatResponseFormat.ForJsonSchema(System.Text.Json.JsonDocument.Parse("""{"type": "string", "pattern": "a"}""").RootElement),
        }));
        ChatMessage[] image = [new(ChatRole.User, [new DataContent(new byte[] { 1, 2 }, "image/png")])];
        await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync(image));
        Assert.Equal(0, model.Engine.KvBlocks.Used);
    }

    [Fact]
    public void Renderer_ModelWithoutTemplate_FallsBackToChatMl()
    {
        var fixture = EngineFixture.Load();
        using var _ = fixture.Model;
        var renderer = new Chat.ChatPromptRenderer(Models.ChatTemplates.ChatTemplateResolver.FromModel(fixture.Model.File.Metadata, "stories260K.gguf"), fixture.Tokenizer);
        string text = renderer.Render(Chat.WaferChatClient.ToJson([new ChatMessage(ChatRole.User, "hi")]));
        Assert.Equal("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", text);
    }
}
