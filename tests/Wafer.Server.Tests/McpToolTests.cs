using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Tokenization;
using Wafer.Rag.Store;

namespace Wafer.Server.Tests;

/// <summary><c>wafer serve … --kb kb.sqlite --mcp</c>: the official MCP C# SDK's client lists and calls
/// <c>search_knowledge_base</c> over Streamable HTTP at <c>/mcp</c>.</summary>
public sealed class McpToolTests : IDisposable
{
    private const string Bert = "models/synth-bert-2L-128-F16.gguf";
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-mcp-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task SearchKnowledgeBase_ListedAndCalled_ReturnsTheRightChunk()
    {
        if (Fixtures.Missing("models/stories260K.gguf") is { } missing) Assert.Skip(missing);
        string docs = Directory.CreateDirectory(Path.Combine(_dir, "docs")).FullName;
        File.WriteAllText(Path.Combine(docs, "owls.md"), "# Owls\n\nThe barn owl hunts voles at midnight.\n");
        File.WriteAllText(Path.Combine(docs, "boats.md"), "# Boats\n\nA yellow sailboat crossed the windy harbour.\n");
        string db = Path.Combine(_dir, "kb.sqlite");
        using (var pool = new WorkerPool(2))
        using (var model = BertModel.Load(Fixtures.Path(Bert), pool))
        {
            var embedder = Wafer.Engine.Chat.WaferEmbeddingGenerator.Direct(model, Tokenizer.FromMetadata(model.File.Metadata, "bert"), "synth-bert-2L-128-F16");
            using var kb = KnowledgeBase.Open(db, embedder, "synth-bert-2L-128-F16", model.EmbeddingLength, embedder.CountTokens);
            await kb.AddAsync([docs]);
        }
        await using var server = await WaferServerProcess.ServeAsync("--embed-model", Fixtures.Path(Bert), "--kb", db, "--mcp", "--api-key", "sekrit");
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(server.Url, "mcp"),
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer sekrit" },
        });
        await using var client = await McpClient.CreateAsync(transport, cancellationToken: TestContext.Current.CancellationToken);
        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        var tool = Assert.Single(tools, t => t.Name == "search_knowledge_base");
        Assert.Contains("query", tool.JsonSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));

        var result = await client.CallToolAsync("search_knowledge_base", new Dictionary<string, object?> { ["query"] = "which owl hunts voles", ["k"] = 1 },
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotEqual(true, result.IsError);
        string text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        var hits = JsonDocument.Parse(text).RootElement;
        Assert.Equal(1, hits.GetArrayLength());
        Assert.EndsWith("owls.md", hits[0].GetProperty("path").GetString());
        Assert.Contains("barn owl", hits[0].GetProperty("text").GetString());

        var bad = await client.CallToolAsync("search_knowledge_base", new Dictionary<string, object?> { ["query"] = "owl", ["k"] = 99 },
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(bad.IsError);
        Assert.Contains("'k' must be between 1 and 20", Assert.IsType<TextContentBlock>(Assert.Single(bad.Content)).Text);

        // The endpoint is behind the API key like every other.
        var anonymous = await new HttpClient().PostAsync(new Uri(server.Url, "mcp"), new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(401, (int)anonymous.StatusCode);
    }
}
