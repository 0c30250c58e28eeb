using Wafer.Hub.Tests;
using Wafer.Tests;

namespace Wafer.Cli.Tests.Commands;

/// <summary><c>wafer pull</c> as a process against a loopback fake hub: a real GGUF file (the embedded default model)
/// downloaded into an HF cache, then found there, and the errors a user gets.</summary>
public sealed class PullCommandTests : IDisposable
{
    private readonly FakeHub _hub = new();
    private readonly string _home = Directory.CreateTempSubdirectory("wafer-pull-").FullName;

    public void Dispose()
    {
        _hub.Dispose();
        Directory.Delete(_home, recursive: true);
    }

    private WaferProcess.Result Pull(params string[] args) => WaferProcess.Run(TimeSpan.FromSeconds(120),
        new Dictionary<string, string?> { ["HF_ENDPOINT"] = _hub.Endpoint.ToString().TrimEnd('/'), ["HF_HOME"] = _home, ["HF_HUB_CACHE"] = null, ["HF_TOKEN"] = null, ["HF_HUB_OFFLINE"] = null },
        ["pull", .. args]);

    [Fact]
    public void Pull_DownloadsThenReusesTheCache_PathIsAModel()
    {
        var model = File.ReadAllBytes(Repository.DefaultModel);
        _hub.Add("stories260K-Q8_0.gguf", model);
        _hub.Add("stories260K-F32.gguf", FakeHub.Bytes(1000, 1));
        var first = Pull(_hub.Repository + ":q8_0");
        Assert.True(first.ExitCode == 0, first.StdErr);
        string path = first.StdOut.Trim();
        Assert.StartsWith(Path.Combine(_home, "hub", "models--org--model-GGUF", "snapshots"), path);
        Assert.Equal(model, File.ReadAllBytes(path));
        Assert.Contains($"{model.Length:N0} bytes downloaded", first.StdErr);

        var second = Pull(_hub.Repository + ":Q8_0");
        Assert.True(second.ExitCode == 0, second.StdErr);
        Assert.Equal(path, second.StdOut.Trim());
        Assert.Contains("0 bytes downloaded (all in the cache)", second.StdErr);

        var inspect = WaferProcess.Run("inspect", path);
        Assert.True(inspect.ExitCode == 0, inspect.StdErr);
    }

    [Fact]
    public void MissingQuant_OneLineListingWhatExists()
    {
        _hub.Add("m-Q4_K_M.gguf", FakeHub.Bytes(1000, 1));
        _hub.Add("m-Q8_0.gguf", FakeHub.Bytes(1000, 2));
        var r = Pull(_hub.Repository + ":Q6_K");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("wafer: error:", r.StdErr.Trim());
        Assert.Contains("Q4_K_M, Q8_0", r.StdErr);
        Assert.Single(r.StdErr.Trim().Split('\n'));
    }

    [Fact]
    public void NotAHubName_SaysHowToWriteOne()
    {
        var r = Pull("just-a-name");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("org/name:Q4_K_M", r.StdErr);
    }
}
