using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Wafer.Hub;
using Wafer.Hub.Tests;
using Wafer.Tests;

namespace Wafer.Cli.Tests.Commands;

/// <summary>Model names where a path is accepted, <c>wafer ls</c> and <c>wafer rm</c>, over a Hugging Face cache, an Ollama
/// store and a <c>$WAFER_MODELS</c> folder built here around the embedded default model (nothing of the user's is read).</summary>
public sealed class ModelNameTests : IDisposable
{
    private const string Repo = "org/stories-GGUF", Commit = "89abcdef0123456789abcdef0123456789abcdef";
    private readonly string _home = Directory.CreateTempSubdirectory("wafer-names-").FullName;
    private readonly long _size = new FileInfo(Repository.DefaultModel).Length;

    public ModelNameTests()
    {
        // The Hugging Face cache: a blob, a snapshot link to it, refs/main.
        var cache = new HubCache(HubCacheDir);
        string etag = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Repository.DefaultModel)));
        Directory.CreateDirectory(Path.GetDirectoryName(cache.BlobPath(Repo, etag))!);
        File.Copy(Repository.DefaultModel, cache.BlobPath(Repo, etag));
        cache.Link(Repo, Commit, "stories260K-Q8_0.gguf", etag);
        cache.WriteRef(Repo, "main", Commit);

        // An Ollama store: the manifest of tiny:latest naming a GGUF blob.
        string blob = Path.Combine(OllamaDir, "blobs", "sha256-" + etag);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        File.Copy(Repository.DefaultModel, blob);
        string manifest = Path.Combine(OllamaDir, "manifests", "registry.ollama.ai", "library", "tiny", "latest");
        Directory.CreateDirectory(Path.GetDirectoryName(manifest)!);
        File.WriteAllText(manifest, JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.docker.distribution.manifest.v2+json",
            config = new { mediaType = "application/vnd.docker.container.image.v1+json", digest = "sha256:" + new string('0', 64), size = 10 },
            layers = new object[]
            {
                new { mediaType = "application/vnd.ollama.image.model", digest = "sha256:" + etag, size = _size },
                new { mediaType = "application/vnd.ollama.image.template", digest = "sha256:" + new string('1', 64), size = 5 },
            },
        }));

        Directory.CreateDirectory(WaferModelsDir);
        File.Copy(Repository.DefaultModel, Path.Combine(WaferModelsDir, "mine.gguf"));
    }

    private string HubCacheDir => Path.Combine(_home, "hf", "hub");
    private string OllamaDir => Path.Combine(_home, "ollama");
    private string WaferModelsDir => Path.Combine(_home, "wafer-models");

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private Dictionary<string, string> Environment(FakeHub? hub = null, bool offline = true) => new()
    {
        ["HF_HOME"] = Path.Combine(_home, "hf"),
        ["HF_HUB_CACHE"] = HubCacheDir,
        ["HF_HUB_OFFLINE"] = offline ? "1" : "0",
        ["HF_ENDPOINT"] = hub?.Endpoint.ToString().TrimEnd('/') ?? "http://127.0.0.1:9",
        ["OLLAMA_MODELS"] = OllamaDir,
        ["WAFER_MODELS"] = WaferModelsDir,
    };

    private WaferProcess.Result Wafer(Dictionary<string, string>? env, params string[] args) =>
        WaferProcess.Run(TimeSpan.FromSeconds(120), (env ?? Environment()).ToDictionary(kv => kv.Key, kv => (string?)kv.Value), args);

    private List<JsonElement> List()
    {
        var r = Wafer(null, "ls", "--json");
        CliAssert.Success(r);
        using var doc = JsonDocument.Parse(r.StdOut);
        return [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    [Fact]
    public void Ls_ListsTheHubCacheTheOllamaStoreAndTheModelsFolder()
    {
        var models = List().ToDictionary(m => m.GetProperty("name").GetString()!);

        Assert.Equal(["huggingface", "ollama", "local", "embedded"], models.Values.Select(m => m.GetProperty("source").GetString()));
        var hub = models[Repo + ":Q8_0"];
        Assert.Equal(_size, hub.GetProperty("size").GetInt64());
        Assert.Equal(Path.Combine(HubCacheDir, "models--org--stories-GGUF", "snapshots", Commit, "stories260K-Q8_0.gguf"), hub.GetProperty("path").GetString());
        // The Ollama blob's name says nothing: its quantization is read from the GGUF's general.file_type.
        Assert.Equal("Q8_0", models["tiny:latest"].GetProperty("quant").GetString());
        Assert.Equal(_size, models["tiny:latest"].GetProperty("size").GetInt64());
        Assert.Equal(Path.Combine(WaferModelsDir, "mine.gguf"), models["mine"].GetProperty("path").GetString());

        var table = Wafer(null, "ls");
        CliAssert.Success(table);
        Assert.Contains("tiny:latest", table.StdOut);
        Assert.Contains("370.3 KiB", table.StdOut);
    }

    [Theory]
    [InlineData(Repo + ":Q8_0")]
    [InlineData(Repo + ":q8_0")]
    [InlineData(Repo)]
    [InlineData("tiny")]
    [InlineData("tiny:latest")]
    [InlineData("mine")]
    public void Run_ByName_FindsTheModelOffline(string name)
    {
        var r = Wafer(null, "run", name, "--prompt", "Once upon a time", "-n", "4", "--temp", "0");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.NotEmpty(r.StdOut.Trim());
    }

    [Fact]
    public void Run_UnknownName_OneLineSayingWhereItLooked()
    {
        CliAssert.OneLineError(Wafer(null, "run", "nothing-here", "--prompt", "x"), "wafer ls");
        CliAssert.OneLineError(Wafer(null, "run", "org/absent-GGUF:Q4_K_M", "--prompt", "x"), "HF_HUB_OFFLINE");
    }

    [Fact]
    public void Run_HubNameNotInTheCache_PullsItThenRuns()
    {
        using var hub = new FakeHub();
        hub.Add("stories260K-Q8_0.gguf", File.ReadAllBytes(Repository.DefaultModel));
        var r = Wafer(Environment(hub, offline: false), "run", hub.Repository + ":Q8_0", "--prompt", "Once upon a time", "-n", "4", "--temp", "0");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("pulling it from", r.StdErr);
        Assert.Contains(List(), m => m.GetProperty("name").GetString() == hub.Repository + ":Q8_0");
    }

    [Fact]
    public void Rm_RemovesFromTheHubCache_RefusesOllamasModels()
    {
        CliAssert.OneLineError(Wafer(null, "rm", "tiny:latest"), "ollama rm tiny:latest");
        CliAssert.OneLineError(Wafer(null, "rm", "no-such-model"), "wafer ls");

        var r = Wafer(null, "rm", Repo + ":Q8_0");
        CliAssert.Success(r);
        Assert.Contains("370.3 KiB freed", r.StdOut);
        // Its blob went with it, and the repository, left empty, entirely.
        Assert.False(Directory.Exists(Path.Combine(HubCacheDir, "models--org--stories-GGUF")));
        var names = List().Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.DoesNotContain(Repo + ":Q8_0", names);
        Assert.Contains("tiny:latest", names);
    }

    [Fact]
    public async Task Serve_OllamaName_ServedUnderThatName()
    {
        await using var server = await WaferServerProcess.ServeWithAsync(Environment(), "tiny:latest");
        using var doc = JsonDocument.Parse(await server.Http.GetStringAsync("v1/models"));
        Assert.Equal("tiny:latest", doc.RootElement.GetProperty("data")[0].GetProperty("id").GetString());
        using var r = await server.Http.PostAsJsonAsync("v1/chat/completions",
            new { model = "tiny:latest", messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 3 });
        Assert.Equal(System.Net.HttpStatusCode.OK, r.StatusCode);
    }
}
