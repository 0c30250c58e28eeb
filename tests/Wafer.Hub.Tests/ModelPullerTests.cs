namespace Wafer.Hub.Tests;

public sealed class ModelPullerTests : IDisposable
{
    private readonly FakeHub _hub = new();
    private readonly string _cache = Directory.CreateTempSubdirectory("wafer-hub-").FullName;

    public void Dispose()
    {
        _hub.Dispose();
        Directory.Delete(_cache, recursive: true);
    }

    private HubSettings Settings(string? token = null, bool offline = false) =>
        new() { Endpoint = _hub.Endpoint, CacheDirectory = _cache, Token = token, Offline = offline };

    private async Task<PulledModel> Pull(string reference, HubSettings? settings = null)
    {
        settings ??= Settings();
        using var client = new HubClient(settings);
        return await new ModelPuller(settings, client).PullAsync(ModelReference.Parse(reference), cancellationToken: TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Pull_PicksTheQuant_FollowsTheRedirect_LinksTheSnapshot()
    {
        var q4 = FakeHub.Bytes(300_000, 1);
        _hub.Add("model-Q4_K_M.gguf", q4);
        _hub.Add("model-Q8_0.gguf", FakeHub.Bytes(500_000, 2));
        _hub.Add("mmproj-model-Q4_K_M.gguf", FakeHub.Bytes(1000, 3));
        var pulled = await Pull($"{_hub.Repository}:q4_k_m");
        Assert.Equal(q4, await File.ReadAllBytesAsync(pulled.Path, TestContext.Current.CancellationToken));
        Assert.Equal(q4.Length, pulled.BytesDownloaded);
        Assert.Equal(FakeHub.Commit, pulled.Commit);
        Assert.EndsWith(Path.Combine("snapshots", FakeHub.Commit, "model-Q4_K_M.gguf"), pulled.Path);
        Assert.NotNull(new FileInfo(pulled.Path).LinkTarget);
        Assert.Equal(FakeHub.Commit, (await File.ReadAllTextAsync(Path.Combine(_cache, "models--org--model-GGUF", "refs", "main"), TestContext.Current.CancellationToken)).Trim());
        Assert.True(File.Exists(Path.Combine(_cache, "models--org--model-GGUF", "blobs", FakeHub.Sha(q4))));
    }

    [Fact]
    public async Task SecondPull_ReusesTheCache_ZeroBytes()
    {
        _hub.Add("model-Q4_K_M.gguf", FakeHub.Bytes(100_000, 1));
        await Pull(_hub.Repository);
        int before = _hub.StorageRanges.Count;
        var again = await Pull(_hub.Repository);
        Assert.Equal(0, again.BytesDownloaded);
        Assert.Equal(before, _hub.StorageRanges.Count);
    }

    [Fact]
    public async Task CutMidFile_NothingInTheCache_NextPullResumesWithARange()
    {
        var content = FakeHub.Bytes(400_000, 5);
        _hub.Add("model-Q8_0.gguf", content);
        _hub.CutAfter = 150_000;
        await Assert.ThrowsAnyAsync<Exception>(() => Pull(_hub.Repository + ":Q8_0"));
        string blob = Path.Combine(_cache, "models--org--model-GGUF", "blobs", FakeHub.Sha(content));
        Assert.False(File.Exists(blob));
        Assert.False(Directory.Exists(Path.Combine(_cache, "models--org--model-GGUF", "snapshots")) &&
            Directory.EnumerateFiles(Path.Combine(_cache, "models--org--model-GGUF", "snapshots"), "*", SearchOption.AllDirectories).Any());
        long partial = new FileInfo(blob + ".incomplete").Length;
        Assert.InRange(partial, 1, content.Length - 1);
        var pulled = await Pull(_hub.Repository + ":Q8_0");
        Assert.Equal(content, await File.ReadAllBytesAsync(pulled.Path, TestContext.Current.CancellationToken));
        Assert.Equal($"bytes={partial}-", _hub.StorageRanges[^1]);
        Assert.Equal(content.Length - partial, pulled.BytesDownloaded);
    }

    [Fact]
    public async Task HashMismatch_Rejected_NoFileKept()
    {
        _hub.Add("model-Q4_K_M.gguf", FakeHub.Bytes(50_000, 7));
        _hub.WrongHash = true;
        var e = await Assert.ThrowsAsync<HubException>(() => Pull(_hub.Repository));
        Assert.Contains("SHA-256", e.Message);
        var blobs = Path.Combine(_cache, "models--org--model-GGUF", "blobs");
        Assert.Empty(Directory.Exists(blobs) ? Directory.EnumerateFiles(blobs) : []);
    }

    [Fact]
    public async Task Token_RequiredByTheHub_NeverSentToTheStorageHost()
    {
        _hub.Add("model-Q4_K_M.gguf", FakeHub.Bytes(20_000, 8));
        _hub.RequiredToken = "hf_secret";
        var e = await Assert.ThrowsAsync<HubException>(() => Pull(_hub.Repository));
        Assert.Contains("HF_TOKEN", e.Message);
        Assert.DoesNotContain("hf_secret", e.Message);
        var pulled = await Pull(_hub.Repository, Settings(token: "hf_secret"));
        Assert.True(File.Exists(pulled.Path));
        Assert.All(_hub.StorageAuthorizations, a => Assert.Equal("", a));
    }

    [Fact]
    public async Task SplitFiles_AllPartsPulled_FirstPartFirst()
    {
        _hub.Add("Q4_K_M/model-Q4_K_M-00002-of-00002.gguf", FakeHub.Bytes(10_000, 9));
        _hub.Add("Q4_K_M/model-Q4_K_M-00001-of-00002.gguf", FakeHub.Bytes(10_000, 10));
        _hub.Add("model-Q8_0.gguf", FakeHub.Bytes(10_000, 11));
        var pulled = await Pull(_hub.Repository + ":Q4_K_M");
        Assert.Equal(2, pulled.Paths.Count);
        Assert.EndsWith("00001-of-00002.gguf", pulled.Path);
        Assert.All(pulled.Paths, p => Assert.True(File.Exists(p)));
    }

    [Fact]
    public async Task MissingQuant_ListsWhatExists()
    {
        _hub.Add("model-Q4_K_M.gguf", FakeHub.Bytes(1000, 1));
        _hub.Add("model-Q8_0.gguf", FakeHub.Bytes(1000, 2));
        var e = await Assert.ThrowsAsync<HubException>(() => Pull(_hub.Repository + ":Q6_K"));
        Assert.Contains("Q4_K_M", e.Message);
        Assert.Contains("Q8_0", e.Message);
    }

    [Fact]
    public async Task UnknownRepository_OneLine()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => Pull("nobody/nothing-GGUF"));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("nobody/nothing-GGUF", e.Message);
    }

    [Fact]
    public async Task Offline_AnswersFromTheCache_OrSaysWhy()
    {
        _hub.Add("model-Q4_K_M.gguf", FakeHub.Bytes(1000, 1));
        var e = await Assert.ThrowsAsync<HubException>(() => Pull(_hub.Repository, Settings(offline: true)));
        Assert.Contains("HF_HUB_OFFLINE", e.Message);
        var online = await Pull(_hub.Repository);
        int requests = _hub.StorageRanges.Count;
        _hub.Dispose();
        var offline = await Pull(_hub.Repository, Settings(offline: true));
        Assert.Equal(online.Path, offline.Path);
        Assert.Equal(requests, _hub.StorageRanges.Count);
    }
}
