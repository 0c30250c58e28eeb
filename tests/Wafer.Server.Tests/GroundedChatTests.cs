#pragma warning disable OPENAI001, SCME0001 // the SDK marks the Responses client and the JSON patch of a request experimental
using System.ClientModel;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Responses;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Tokenization;
using Wafer.Rag.Store;

namespace Wafer.Server.Tests;

/// <summary>Retrieval-augmented chat end to end on loopback: <c>wafer serve stories260K --embed-model synth-bert… --kb kb.sqlite</c>
/// over three small documents; chat with <c>retrieval</c> and the Responses API's <c>file_search</c> answer with annotations
/// naming the source the question is about (the retrieval is judged, not the tiny model's prose).</summary>
/// <remarks>The three documents share no word, so the one that holds the question's words is first in BM25 and (reciprocal
/// rank fusion) first overall, whatever the random-weight embedding model ranks.</remarks>
public sealed class GroundedChatTests(SharedServer shared) : IClassFixture<SharedServer>, IDisposable
{
    private const string Bert = "models/synth-bert-2L-128-F16.gguf";
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-grounded-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> BuildKnowledgeBase()
    {
        string docs = Directory.CreateDirectory(Path.Combine(_dir, "docs")).FullName;
        File.WriteAllText(Path.Combine(docs, "lighthouse.md"), "# Lighthouse\n\nThe red lighthouse keeper feeds seven seagulls every morning.\n");
        File.WriteAllText(Path.Combine(docs, "garden.md"), "# Garden\n\nGrandma plants blue tulips beside her wooden fence.\n");
        File.WriteAllText(Path.Combine(docs, "rocket.txt"), "A silver rocket flew past Jupiter toward distant comets.\n");
        string db = Path.Combine(_dir, "stories.sqlite");
        using var pool = new WorkerPool(2);
        using var model = BertModel.Load(Fixtures.Path(Bert), pool);
        var embedder = Wafer.Engine.Chat.WaferEmbeddingGenerator.Direct(model, Tokenizer.FromMetadata(model.File.Metadata, "bert"), "synth-bert-2L-128-F16");
        using var kb = KnowledgeBase.Open(db, embedder, "synth-bert-2L-128-F16", model.EmbeddingLength, embedder.CountTokens);
        await kb.AddAsync([docs]);
        return db;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static OpenAIClient Sdk(WaferServerProcess server) =>
        new(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.Url, "v1") });

    [Fact]
    public async Task ChatWithRetrieval_AnnotationsNameTheRightSource_StreamedAfterTheText()
    {
        if (Fixtures.Missing("models/stories260K.gguf") is { } missing) Assert.Skip(missing);
        string db = await BuildKnowledgeBase();
        await using var server = await WaferServerProcess.ServeAsync("--embed-model", Fixtures.Path(Bert), "--kb", db);

        // Non-streamed through the OpenAI SDK: the url_citation annotations are the sources, the right one first.
        const string Ask = """{"model": "stories260K", "temperature": 0, "max_tokens": 24, "messages": [{"role": "user", "content": "Who feeds the seagulls at the lighthouse?"}], "retrieval": {"k": 2}}""";
        var raw = await server.Http.PostAsync("/v1/chat/completions", Json(Ask));
        string text = await raw.Content.ReadAsStringAsync();
        Assert.True(raw.IsSuccessStatusCode, text);
        var message = JsonDocument.Parse(text).RootElement.GetProperty("choices")[0].GetProperty("message");
        var annotations = message.GetProperty("annotations");
        Assert.Equal(2, annotations.GetArrayLength());
        var first = annotations.EnumerateArray().OrderBy(a => a.GetProperty("url_citation").GetProperty("source_index").GetInt32()).First().GetProperty("url_citation");
        Assert.EndsWith("lighthouse.md", first.GetProperty("path").GetString());
        Assert.Equal("Lighthouse", first.GetProperty("title").GetString());
        Assert.StartsWith("file:///", first.GetProperty("url").GetString());
        Assert.True(first.GetProperty("span").GetProperty("end").GetInt32() > 0);

        ChatCompletion completion = await Sdk(server).GetChatClient("stories260K").CompleteChatAsync(
            [new UserChatMessage("Where does Grandma plant tulips?")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 }.WithRetrieval("""{"k": 1}"""));
        var citation = Assert.Single(completion.Annotations);
        Assert.EndsWith("garden.md", citation.WebResourceUri.AbsolutePath);
        Assert.Equal("Garden", citation.WebResourceTitle);

        // Streamed: the annotations come in their own chunk after the last text and before the finish chunk.
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = Json("""{"model": "stories260K", "stream": true, "temperature": 0, "max_tokens": 24, "messages": [{"role": "user", "content": "What flew past Jupiter toward comets?"}], "retrieval": {"k": 3, "filter": {"path_prefix": """ + JsonSerializer.Serialize(Path.Combine(_dir, "docs")) + "}}}"),
        };
        using var streamed = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var (events, done) = await Sse.ReadAllAsync(streamed);
        Assert.True(done);
        int at = events.FindIndex(e => e.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("annotations", out _));
        Assert.True(at > 0, "no annotations chunk");
        int lastText = events.FindLastIndex(e => e.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var c) && c.GetString()!.Length > 0);
        int finish = events.FindIndex(e => e.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String);
        Assert.True(lastText < at && at < finish, $"text {lastText}, annotations {at}, finish {finish}");
        var streamedAnnotations = events[at].GetProperty("choices")[0].GetProperty("delta").GetProperty("annotations");
        Assert.Equal(3, streamedAnnotations.GetArrayLength());
        Assert.EndsWith("rocket.txt", streamedAnnotations.EnumerateArray().Single(a => a.GetProperty("url_citation").GetProperty("source_index").GetInt32() == 1)
            .GetProperty("url_citation").GetProperty("path").GetString());

        // A prompt over the context says that the sources are in it.
        var tooLong = await server.Http.PostAsync("/v1/chat/completions", Json("""{"max_tokens": 100000, "messages": [{"role": "user", "content": "Who feeds the seagulls?"}], "retrieval": {"k": 3}}"""));
        string tooLongText = await tooLong.Content.ReadAsStringAsync();
        Assert.Equal(400, (int)tooLong.StatusCode);
        Assert.Contains("3 retrieved sources", tooLongText);

        // Errors name the field.
        foreach (var (body, param) in new[]
                 {
                     ("""{"messages": [{"role": "user", "content": "x"}], "retrieval": {"k": 0}}""", "retrieval.k"),
                     ("""{"messages": [{"role": "user", "content": "x"}], "retrieval": {"top": 3}}""", "retrieval.top"),
                     ("""{"messages": [{"role": "user", "content": "x"}], "retrieval": {"vector_store_ids": ["other"]}}""", "retrieval.vector_store_ids"),
                     ("""{"messages": [{"role": "user", "content": "x"}], "retrieval": {"filter": {"path_prefix": 3}}}""", "retrieval.filter.path_prefix"),
                     ("""{"messages": [{"role": "system", "content": "x"}], "retrieval": {}}""", "retrieval"),
                 })
        {
            var bad = await server.Http.PostAsync("/v1/chat/completions", Json(body));
            string error = await bad.Content.ReadAsStringAsync();
            Assert.True(400 == (int)bad.StatusCode, error);
            Assert.Equal(param, JsonDocument.Parse(error).RootElement.GetProperty("error").GetProperty("param").GetString());
        }
    }

    [Fact]
    public async Task ResponsesFileSearch_FileCitationsAndSearchCall()
    {
        if (Fixtures.Missing("models/stories260K.gguf") is { } missing) Assert.Skip(missing);
        string db = await BuildKnowledgeBase();
        await using var server = await WaferServerProcess.ServeAsync("--embed-model", Fixtures.Path(Bert), "--kb", db);
        var client = Sdk(server).GetResponsesClient();
        var options = new CreateResponseOptions("stories260K", [ResponseItem.CreateUserMessageItem("Where does Grandma plant the blue tulips?")]) { MaxOutputTokenCount = 16 };
        options.Temperature = 0;
        options.Tools.Add(ResponseTool.CreateFileSearchTool(["stories"], maxResultCount: 2));
        ResponseResult response = await client.CreateResponseAsync(options);
        var search = Assert.Single(response.OutputItems.OfType<FileSearchCallResponseItem>());
        Assert.Equal("Where does Grandma plant the blue tulips?", Assert.Single(search.Queries));
        var message = Assert.Single(response.OutputItems.OfType<MessageResponseItem>());
        var annotations = message.Content[0].OutputTextAnnotations;
        Assert.Equal(2, annotations.Count);
        Assert.Contains(annotations.OfType<FileCitationMessageAnnotation>(), a => a.FileId.StartsWith("file-", StringComparison.Ordinal));

        var raw = await server.Http.PostAsync("/v1/responses", Json("""{"model": "stories260K", "input": "Where does Grandma plant the blue tulips?", "max_output_tokens": 8, "include": ["file_search_call.results"], "tools": [{"type": "file_search", "vector_store_ids": ["stories"], "max_num_results": 2}]}"""));
        var body = JsonDocument.Parse(await raw.Content.ReadAsStringAsync()).RootElement;
        var output = body.GetProperty("output");
        Assert.Equal("file_search_call", output[0].GetProperty("type").GetString());
        Assert.Equal("garden.md", output[0].GetProperty("results")[0].GetProperty("filename").GetString());
        var annotation = output[1].GetProperty("content")[0].GetProperty("annotations").EnumerateArray().Single(a => a.GetProperty("source_index").GetInt32() == 1);
        Assert.Equal("file_citation", annotation.GetProperty("type").GetString());
        Assert.Equal("garden.md", annotation.GetProperty("filename").GetString());

        // tool_choice none: no tool runs, the file search included.
        var none = await server.Http.PostAsync("/v1/responses", Json("""{"model": "stories260K", "input": "Where are the tulips?", "max_output_tokens": 4, "tool_choice": "none", "tools": [{"type": "file_search", "vector_store_ids": ["stories"]}]}"""));
        var noneOutput = JsonDocument.Parse(await none.Content.ReadAsStringAsync()).RootElement.GetProperty("output");
        Assert.DoesNotContain(noneOutput.EnumerateArray(), item => item.GetProperty("type").GetString() == "file_search_call");

        // Streamed: the search call's events first, the annotations after the text deltas.
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
        {
            Content = Json("""{"model": "stories260K", "stream": true, "input": "What flew past Jupiter?", "max_output_tokens": 8, "tools": [{"type": "file_search", "vector_store_ids": ["stories"], "max_num_results": 1}]}"""),
        };
        using var streamed = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var (events, _) = await Sse.ReadAllAsync(streamed);
        var types = events.Select(e => e.GetProperty("type").GetString()!).ToList();
        Assert.True(types.IndexOf("response.file_search_call.completed") < types.IndexOf("response.output_text.delta"), string.Join(",", types));
        int added = types.IndexOf("response.output_text.annotation.added");
        Assert.True(types.LastIndexOf("response.output_text.delta") < added && added < types.IndexOf("response.output_text.done"), string.Join(",", types));
        Assert.Equal("rocket.txt", events[added].GetProperty("annotation").GetProperty("filename").GetString());

        foreach (var (json, param) in new[]
                 {
                     ("""{"input": "x", "tools": [{"type": "file_search", "vector_store_ids": ["vs_other"]}]}""", "tools[0].vector_store_ids"),
                     ("""{"input": "x", "tools": [{"type": "file_search"}]}""", "tools[0].vector_store_ids"),
                     ("""{"input": "x", "tools": [{"type": "file_search", "vector_store_ids": ["stories"], "max_num_results": 99}]}""", "tools[0].max_num_results"),
                     ("""{"input": "x", "tools": [{"type": "file_search", "vector_store_ids": ["stories"], "ranking_options": {}}]}""", "tools[0].ranking_options"),
                 })
        {
            var bad = await server.Http.PostAsync("/v1/responses", Json(json));
            string error = await bad.Content.ReadAsStringAsync();
            Assert.True(400 == (int)bad.StatusCode, error);
            Assert.Equal(param, JsonDocument.Parse(error).RootElement.GetProperty("error").GetProperty("param").GetString());
        }
    }

    [Fact]
    public async Task Retrieval_WithoutKnowledgeBaseOrOnCompletions_400()
    {
        var http = new HttpClient { BaseAddress = shared.Server.Url };
        foreach (var (path, body, param) in new[]
                 {
                     ("/v1/chat/completions", """{"messages": [{"role": "user", "content": "x"}], "retrieval": {"k": 2}}""", "retrieval"),
                     ("/v1/completions", """{"prompt": "x", "retrieval": {"k": 2}}""", "retrieval"),
                     ("/v1/responses", """{"input": "x", "tools": [{"type": "file_search", "vector_store_ids": ["kb"]}]}""", "tools[0].type"),
                 })
        {
            var response = await http.PostAsync(path, Json(body));
            string error = await response.Content.ReadAsStringAsync();
            Assert.True(400 == (int)response.StatusCode, error);
            Assert.Equal(param, JsonDocument.Parse(error).RootElement.GetProperty("error").GetProperty("param").GetString());
            if (path != "/v1/completions") Assert.Contains("--kb", error);
        }
    }
}

/// <summary>Adds Wafer's <c>retrieval</c> extension field to an SDK chat request (the SDK's JSON patch).</summary>
internal static class RetrievalPatch
{
    public static ChatCompletionOptions WithRetrieval(this ChatCompletionOptions options, string retrieval)
    {
        options.Patch.Set("$.retrieval"u8, BinaryData.FromString(retrieval));
        return options;
    }
}
