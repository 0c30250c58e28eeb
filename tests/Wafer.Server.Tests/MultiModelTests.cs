using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Wafer.Models.Tests.Architectures;
using Wafer.Tests;

namespace Wafer.Server.Tests;

/// <summary>Several models behind one real <c>wafer serve</c> process: loaded by their first request, unloaded when idle or
/// to fit <c>--max-memory</c>, never under a request, counted per model. Models are copies of the embedded default (and a
/// random-weight model written here), so no fixtures are needed.</summary>
public sealed class MultiModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-multi-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A folder holding the embedded default model under each of <paramref name="names"/>.</summary>
    private string ModelsDir(params string[] names)
    {
        string dir = Path.Combine(_dir, "models");
        Directory.CreateDirectory(dir);
        foreach (string name in names) File.Copy(Repository.DefaultModel, Path.Combine(dir, name + ".gguf"));
        return dir;
    }

    private static async Task<Dictionary<string, JsonElement>> ModelsAsync(WaferServerProcess server)
    {
        using var doc = JsonDocument.Parse(await server.Http.GetStringAsync("v1/models"));
        return doc.RootElement.GetProperty("data").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!, m => m.Clone());
    }

    private static async Task<string> StateAsync(WaferServerProcess server, string model) =>
        (await ModelsAsync(server))[model].GetProperty("state").GetString()!;

    private static async Task<HttpResponseMessage> ChatAsync(WaferServerProcess server, string model, int maxTokens = 4, object? keepAlive = null, bool stream = false)
    {
        var body = new Dictionary<string, object?>
        {
            ["model"] = model,
            ["messages"] = new[] { new { role = "user", content = "Once upon a time" } },
            ["max_tokens"] = maxTokens,
            ["temperature"] = 0,
            ["stream"] = stream,
        };
        if (keepAlive != null) body["keep_alive"] = keepAlive;
        return await server.Http.PostAsJsonAsync("v1/chat/completions", body);
    }

    /// <summary>Polls (bounded) until the model reaches <paramref name="state"/>.</summary>
    private static async Task WaitForStateAsync(WaferServerProcess server, string model, string state)
    {
        for (int i = 0; i < 300 && await StateAsync(server, model) != state; i++) await Task.Delay(100);
        Assert.Equal(state, await StateAsync(server, model));
    }

    /// <summary>Polls (bounded) until the server's log holds <paramref name="text"/>: an unload is logged once its model is disposed.</summary>
    private static async Task WaitForLogAsync(WaferServerProcess server, string text)
    {
        for (int i = 0; i < 300 && !server.Log.Contains(text, StringComparison.Ordinal); i++) await Task.Delay(100);
        Assert.Contains(text, server.Log);
    }

    [Fact]
    public async Task ModelsDir_FirstRequestLoads_IdleUnloadsAfterKeepAlive()
    {
        await using var server = await WaferServerProcess.ServeWithAsync(null, "--models-dir", ModelsDir("alpha", "beta"), "--keep-alive", "1s");

        var models = await ModelsAsync(server);
        Assert.Equal(["alpha", "beta"], models.Keys.Order());
        Assert.All(models.Values, m => Assert.Equal("unloaded", m.GetProperty("state").GetString()));

        using (var r = await ChatAsync(server, "alpha"))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("alpha", (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("model").GetString());
        }
        models = await ModelsAsync(server);
        // Loaded, or already unloaded again if the machine stalled past the 1 s keep-alive: never loading, never beta.
        Assert.Contains(models["alpha"].GetProperty("state").GetString(), (string[])["loaded", "unloaded"]);
        Assert.Equal("unloaded", models["beta"].GetProperty("state").GetString());
        await WaitForStateAsync(server, "alpha", "unloaded");
        await WaitForLogAsync(server, "unloaded 'alpha' (idle)");

        // Loaded again on demand; a request's keep_alive of 0 unloads it as soon as the request ends.
        using (var r = await ChatAsync(server, "alpha", keepAlive: 0)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        await WaitForStateAsync(server, "alpha", "unloaded");
        await WaitForLogAsync(server, "unloaded 'alpha' (keep_alive)");
    }

    [Fact]
    public async Task MaxMemory_LoadingASecondModelEvictsTheIdleFirst()
    {
        // Each copy holds its 0.4 MB file, as much again repacked, and an 8 MiB KV cache: 12 MiB fits one, not two.
        await using var server = await WaferServerProcess.ServeWithAsync(null, "--models-dir", ModelsDir("alpha", "beta"), "--kv-cache-mb", "8", "--ctx", "256",
            "--max-memory", "12M");

        using (var r = await ChatAsync(server, "alpha")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("loaded", await StateAsync(server, "alpha"));
        using (var r = await ChatAsync(server, "beta")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        var models = await ModelsAsync(server);
        Assert.Equal("unloaded", models["alpha"].GetProperty("state").GetString());
        Assert.Equal("loaded", models["beta"].GetProperty("state").GetString());
        Assert.InRange(models["beta"].GetProperty("meta").GetProperty("memory_bytes").GetInt64(), 8L << 20, 12L << 20);
        await WaitForLogAsync(server, "unloaded 'alpha' (memory)");
    }

    [Fact]
    public async Task TwentyConcurrentRequests_AcrossTwoModels_AllSucceed_CountedPerModel()
    {
        string dir = ModelsDir("alpha", "beta");
        await using var server = await WaferServerProcess.ServeWithAsync(null,
            "--model", "a=" + Path.Combine(dir, "alpha.gguf"), "--model", "b=" + Path.Combine(dir, "beta.gguf"), "--max-seqs", "4", "--max-queue", "32");

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            string model = i % 2 == 0 ? "a" : "b";
            using var r = await ChatAsync(server, model, maxTokens: 8, stream: i % 4 < 2);
            string text = await r.Content.ReadAsStringAsync();
            return (Model: model, r.StatusCode, Text: text);
        }));

        Assert.All(answers, a => Assert.True(a.StatusCode == HttpStatusCode.OK, $"{a.Model}: {(int)a.StatusCode} {a.Text}"));
        Assert.All(answers, a => Assert.Contains($"\"model\":\"{a.Model}\"", a.Text));
        double generatedA = await server.MetricAsync("wafer_generation_tokens_total{otel_scope_name=\"Wafer.Engine\",model=\"a\"}");
        double generatedB = await server.MetricAsync("wafer_generation_tokens_total{otel_scope_name=\"Wafer.Engine\",model=\"b\"}");
        Assert.InRange(generatedA, 10, 80);
        Assert.InRange(generatedB, 10, 80);
        Assert.Equal(generatedA + generatedB, await server.MetricAsync("wafer_generation_tokens_total"));
    }

    [Fact]
    public async Task Errors_UnknownModel404_MissingModel400_BadKeepAlive400()
    {
        await using var server = await WaferServerProcess.ServeWithAsync(null, "--models-dir", ModelsDir("alpha", "beta"));

        using (var r = await ChatAsync(server, "gamma"))
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            var error = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
            Assert.Equal("model_not_found", error.GetProperty("code").GetString());
            Assert.Contains("'alpha', 'beta'", error.GetProperty("message").GetString());
        }
        using (var r = await server.Http.PostAsJsonAsync("v1/chat/completions", new { messages = new[] { new { role = "user", content = "hi" } } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains("'model' is required", await r.Content.ReadAsStringAsync());
        }
        using (var r = await ChatAsync(server, "alpha", keepAlive: "soon"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("keep_alive", (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("param").GetString());
        }
        Assert.Equal("unloaded", await StateAsync(server, "alpha"));
    }

    [Fact]
    public async Task Rss_ReturnsNearItsIdleLevel_AfterTheModelUnloads()
    {
        // A random-weight model of 54 MB (F32, 512 wide, 4 layers): every forward pass reads all of it, so loaded it is resident.
        string dir = Path.Combine(_dir, "big");
        Directory.CreateDirectory(dir);
        string big = TinyModel.Write(dir, "llama", embedding: 512, feedForward: 1536, layers: 4);
        await using var server = await WaferServerProcess.ServeWithAsync(null, "--model", "big=" + big, "--keep-alive", "0", "--kv-cache-mb", "4");

        async Task<HttpStatusCode> Complete()
        {
            using var r = await server.Http.PostAsJsonAsync("v1/completions", new { model = "big", prompt = new[] { 1, 2, 3 }, max_tokens = 8, temperature = 0 });
            return r.StatusCode;
        }

        // One load and unload first, so code compiled on the way is in the idle level too.
        Assert.Equal(HttpStatusCode.OK, await Complete());
        await WaitForStateAsync(server, "big", "unloaded");
        await Task.Delay(500);
        long idle = server.ResidentBytes();

        using var hold = new CancellationTokenSource();
        var busy = Task.Run(async () =>
        {
            // Keeps the model loaded (keep_alive 0 unloads it between requests, so two overlap) while RSS is read.
            var one = server.Http.PostAsJsonAsync("v1/completions", new { model = "big", prompt = new[] { 1, 2, 3 }, max_tokens = 40, temperature = 0 });
            var two = server.Http.PostAsJsonAsync("v1/completions", new { model = "big", prompt = new[] { 4, 5 }, max_tokens = 40, temperature = 0 });
            return (await one).StatusCode == HttpStatusCode.OK && (await two).StatusCode == HttpStatusCode.OK;
        });
        long loaded = idle;
        while (!busy.IsCompleted)
        {
            if (await StateAsync(server, "big") == "loaded") loaded = Math.Max(loaded, server.ResidentBytes());
            await Task.Delay(20);
        }
        Assert.True(await busy);
        await WaitForStateAsync(server, "big", "unloaded");
        await Task.Delay(500);
        long after = server.ResidentBytes();
        TestContext.Current.TestOutputHelper?.WriteLine($"RSS idle {idle >> 20} MiB, loaded {loaded >> 20} MiB, after unload {after >> 20} MiB");

        Assert.True(loaded - idle > 40L << 20, $"loaded RSS {loaded >> 20} MiB vs idle {idle >> 20} MiB: the model was never resident, so nothing was tested");
        Assert.True(after - idle < (loaded - idle) / 3, $"RSS after unload {after >> 20} MiB, idle {idle >> 20} MiB, loaded {loaded >> 20} MiB");
    }
}
