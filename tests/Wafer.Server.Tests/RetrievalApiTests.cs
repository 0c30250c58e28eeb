using System.Text;
using System.Text.Json;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Tokenization;
using Wafer.Rag.Store;

namespace Wafer.Server.Tests;

/// <summary><c>POST /v1/retrieve</c> on <c>wafer serve stories260K --embed-model synth-bert… --kb kb.sqlite</c>, the knowledge
/// base built from this repository's docs the way <c>wafer index add</c> builds it; and its errors and metrics.</summary>
public sealed class RetrievalApiTests(SharedServer shared) : IClassFixture<SharedServer>, IDisposable
{
    private const string Bert = "models/synth-bert-2L-128-F16.gguf";
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-retrieve-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> BuildKnowledgeBase()
    {
        string db = Path.Combine(_dir, "kb.sqlite");
        using var pool = new WorkerPool(2);
        using var model = BertModel.Load(Fixtures.Path(Bert), pool);
        var embedder = Wafer.Engine.Chat.WaferEmbeddingGenerator.Direct(model, Tokenizer.FromMetadata(model.File.Metadata, "bert"), "synth-bert-2L-128-F16");
        using var kb = KnowledgeBase.Open(db, embedder, "synth-bert-2L-128-F16", model.EmbeddingLength, embedder.CountTokens);
        await kb.AddAsync([Repository.Docs]);
        return db;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Retrieve_RankedChunksWithSourcesScoresAndMetrics()
    {
        if (Fixtures.Missing("models/stories260K.gguf") is { } missing) Assert.Skip(missing);
        string db = await BuildKnowledgeBase();
        await using var server = await WaferServerProcess.ServeAsync("--embed-model", Fixtures.Path(Bert), "--kb", db);
        var response = await server.Http.PostAsync("/v1/retrieve", Json("""{"query": "cascade tiers and circuit breaker", "k": 4}"""));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var data = JsonDocument.Parse(text).RootElement.GetProperty("data");
        Assert.Equal(4, data.GetArrayLength());
        Assert.Contains(data.EnumerateArray(), h => h.GetProperty("source").GetProperty("path").GetString()!.EndsWith("router.md", StringComparison.Ordinal)
            && h.GetProperty("scores").GetProperty("bm25").ValueKind == JsonValueKind.Number);
        var first = data[0];
        Assert.True(first.GetProperty("span").GetProperty("end").GetInt32() > first.GetProperty("span").GetProperty("start").GetInt32());
        Assert.True(first.GetProperty("scores").GetProperty("fused").GetDouble() > 0);

        string prefix = JsonSerializer.Serialize(Path.Combine(Repository.Docs, "router.md"));
        var filtered = await server.Http.PostAsync("/v1/retrieve", Json("{\"query\": \"benchmarks\", \"k\": 3, \"filter\": {\"path_prefix\": " + prefix + "}}"));
        var hits = JsonDocument.Parse(await filtered.Content.ReadAsStringAsync()).RootElement.GetProperty("data");
        Assert.All(hits.EnumerateArray(), h => Assert.EndsWith("router.md", h.GetProperty("source").GetProperty("path").GetString()));

        foreach (var (body, param) in new[] { ("""{"k": 3}""", "query"), ("""{"query": "x", "k": 0}""", "k"), ("""{"query": "x", "top": 3}""", "top"),
                     ("""{"query": "x", "filter": {"source": "a"}}""", "filter.source") })
        {
            var bad = await server.Http.PostAsync("/v1/retrieve", Json(body));
            Assert.Equal(400, (int)bad.StatusCode);
            Assert.Equal(param, JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("param").GetString());
        }
        string metrics = await server.Http.GetStringAsync("/metrics");
        foreach (var name in new[] { "wafer_retrieval_latency_seconds_bucket", "wafer_retrieval_chunks_searched_total", "wafer_kb_chunks" })
            Assert.Contains(name, metrics);
    }

    [Fact]
    public async Task NoKnowledgeBase_404Explains()
    {
        var response = await new HttpClient { BaseAddress = shared.Server.Url }.PostAsync("/v1/retrieve", Json("""{"query": "x"}"""));
        Assert.Equal(404, (int)response.StatusCode);
        Assert.Contains("--kb", await response.Content.ReadAsStringAsync());
    }
}
