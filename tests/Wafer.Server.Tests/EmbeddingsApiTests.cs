using System.ClientModel;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Embeddings;

namespace Wafer.Server.Tests;

/// <summary><c>POST /v1/embeddings</c> on <c>wafer serve stories260K --embed-model synth-bert-2L-128-F16.gguf</c>: through the
/// official OpenAI .NET SDK (its default base64 encoding) and raw JSON (floats, token ids), against llama.cpp's golden
/// embeddings; dimensions; the served decoder model's own embeddings; errors that name the input.</summary>
public sealed class EmbeddingsApiTests : IAsyncLifetime
{
    private const string Bert = "models/synth-bert-2L-128-F16.gguf";
    private WaferServerProcess? _server;

    public async ValueTask InitializeAsync()
    {
        if ((Fixtures.Missing("models/stories260K.gguf") ?? Fixtures.Missing(Bert)) is null)
            _server = await WaferServerProcess.ServeAsync("--embed-model", Fixtures.Path(Bert));
    }

    public async ValueTask DisposeAsync()
    {
        if (_server != null) await _server.DisposeAsync();
    }

    private WaferServerProcess Server => _server ?? throw new InvalidOperationException("unreachable: tests skip first");

    private static void SkipWithoutFixtures()
    {
        if ((Fixtures.Missing("models/stories260K.gguf") ?? Fixtures.Missing(Bert)) is { } missing) Assert.Skip(missing);
    }

    private static JsonElement Golden()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden/embeddings.json")));
        return doc.RootElement.Clone();
    }

    private static float[][] GoldenVectors(JsonElement golden) =>
        [.. golden.GetProperty("models").EnumerateArray().First(m => m.GetProperty("file").GetString() == Bert)
            .GetProperty("embeddings").EnumerateArray().Select(e => e.EnumerateArray().Select(v => v.GetSingle()).ToArray())];

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return dot / Math.Sqrt(na * nb);
    }

    [Fact]
    public async Task OpenAiSdk_Sentences_MatchLlamaCppGolden()
    {
        SkipWithoutFixtures();
        var golden = Golden();
        var sentences = golden.GetProperty("sentences").EnumerateArray().Select(s => s.GetString()!).ToList();
        var client = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(Server.Url, "v1") })
            .GetEmbeddingClient("synth-bert-2L-128-F16");
        OpenAIEmbeddingCollection result = await client.GenerateEmbeddingsAsync(sentences);
        var expected = GoldenVectors(golden);
        Assert.Equal(sentences.Count, result.Count);
        for (int i = 0; i < result.Count; i++)
        {
            Assert.Equal(i, result[i].Index);
            double cosine = Cosine(result[i].ToFloats().Span, expected[i]);
            Assert.True(cosine >= 0.999, $"sentence {i}: cosine {cosine:F6}");
        }
        Assert.True(result.Usage.InputTokenCount > sentences.Count * 2);

        OpenAIEmbedding shorter = await client.GenerateEmbeddingAsync(sentences[0], new EmbeddingGenerationOptions { Dimensions = 32 });
        var head = shorter.ToFloats().Span;
        Assert.Equal(32, head.Length);
        double norm = 0;
        foreach (float f in head) norm += f * f;
        Assert.InRange(norm, 0.9999, 1.0001);
        Assert.True(Cosine(head, expected[0].AsSpan(0, 32)) >= 0.999);
    }

    [Fact]
    public async Task RawJson_FloatsFromTokenIds_SameAsFromText()
    {
        SkipWithoutFixtures();
        var golden = Golden();
        var ids = golden.GetProperty("models").EnumerateArray().First(m => m.GetProperty("file").GetString() == Bert).GetProperty("token_ids")[1];
        var response = await Server.Http.PostAsync("/v1/embeddings", new StringContent(
            $$"""{"model": "synth-bert-2L-128-F16", "input": [{{ids.GetRawText()}}], "encoding_format": "float"}""", Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var doc = JsonDocument.Parse(text);
        var data = doc.RootElement.GetProperty("data");
        Assert.Equal("list", doc.RootElement.GetProperty("object").GetString());
        Assert.Equal("embedding", data[0].GetProperty("object").GetString());
        float[] vector = [.. data[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
        Assert.True(Cosine(vector, GoldenVectors(golden)[1]) >= 0.999);
        Assert.Equal(ids.GetArrayLength(), doc.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task ServedDecoderModel_EmbedsToo()
    {
        SkipWithoutFixtures();
        var response = await Server.Http.PostAsync("/v1/embeddings", new StringContent("""{"model": "stories260K", "input": "Once upon a time"}""", Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal(64, doc.RootElement.GetProperty("data")[0].GetProperty("embedding").GetArrayLength()); // stories260K: 64 dimensions
        string models = await Server.Http.GetStringAsync("/v1/models");
        Assert.Contains("synth-bert-2L-128-F16", models);
    }

    [Theory]
    [InlineData("""{"input": ["hi", "LONG"]}""", 400, "input[1]")]
    [InlineData("""{"input": []}""", 400, "input")]
    [InlineData("""{"input": [""]}""", 400, "input[0]")]
    [InlineData("""{"input": [[101, 99999999]]}""", 400, "input[0]")]
    [InlineData("""{"input": "hi", "encoding_format": "int8"}""", 400, "encoding_format")]
    [InlineData("""{"input": "hi", "dimensions": 999}""", 400, "dimensions")]
    [InlineData("""{"input": 5}""", 400, "input")]
    [InlineData("""{"model": "nope", "input": "hi"}""", 404, "model")]
    public async Task BadInput_ErrorNamesIt(string body, int status, string param)
    {
        SkipWithoutFixtures();
        body = body.Replace("LONG", string.Join(" ", Enumerable.Repeat("word", 600)));
        var response = await Server.Http.PostAsync("/v1/embeddings", new StringContent(body, Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(param, JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("param").GetString());
    }
}
