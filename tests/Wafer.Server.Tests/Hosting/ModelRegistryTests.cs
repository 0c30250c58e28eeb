using Microsoft.Extensions.Time.Testing;
using Wafer.Server.Api;
using Wafer.Server.Hosting;

namespace Wafer.Server.Tests.Hosting;

/// <summary>The registry's rules on a fake clock with fake models: what loads, what waits, what unloads and when.</summary>
public class ModelRegistryTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A model that records whether it was disposed.</summary>
    private sealed class FakeModel(string name, long bytes) : ILoadedModel
    {
        public string Name { get; } = name;
        public long MemoryBytes { get; } = bytes;
        public bool Disposed { get; private set; }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Loads fake models of <paramref name="sizes"/>' bytes, counting the loads; a model named in
    /// <see cref="Gates"/> waits for its gate before it loads.</summary>
    private sealed class Loader(Dictionary<string, long> sizes)
    {
        public Dictionary<string, int> Loads { get; } = [];
        public Dictionary<string, ManualResetEventSlim> Gates { get; } = [];
        public Dictionary<string, Exception> Failures { get; } = [];
        public List<FakeModel> Made { get; } = [];

        public FakeModel Load(ModelSpec spec)
        {
            if (Gates.TryGetValue(spec.Name, out var gate)) gate.Wait(TimeSpan.FromSeconds(30));
            lock (Loads) Loads[spec.Name] = Loads.GetValueOrDefault(spec.Name) + 1;
            if (Failures.Remove(spec.Name, out var failure)) throw failure;
            var model = new FakeModel(spec.Name, sizes[spec.Name]);
            lock (Made) Made.Add(model);
            return model;
        }

        public long Estimate(ModelSpec spec) => sizes[spec.Name];
    }

    private static (ModelRegistry<FakeModel> Registry, Loader Loader, FakeTimeProvider Time) Create(long maxMemory = 0, TimeSpan? keepAlive = null,
        TimeSpan? loadTimeout = null, params (string Name, long Bytes)[] models)
    {
        var loader = new Loader(models.ToDictionary(m => m.Name, m => m.Bytes));
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var registry = new ModelRegistry<FakeModel>([.. models.Select(m => new ModelSpec(m.Name, m.Name + ".gguf"))], loader.Load, loader.Estimate,
            new ModelRegistryOptions
            {
                KeepAlive = keepAlive ?? TimeSpan.FromMinutes(5),
                MaxMemoryBytes = maxMemory,
                LoadTimeout = loadTimeout ?? TimeSpan.FromSeconds(60),
                SweepPeriod = TimeSpan.FromSeconds(1),
            }, time);
        return (registry, loader, time);
    }

    private static ModelState StateOf(ModelRegistry<FakeModel> registry, string name) => registry.Status().Single(s => s.Spec.Name == name).State;

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds: unloads and loads finish on the thread pool.</summary>
    private static async Task Eventually(Func<bool> condition, string what)
    {
        for (int i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition(), what);
    }

    [Fact]
    public async Task Acquire_FirstRequestLoadsTheModel_OthersReuseIt()
    {
        var (registry, loader, _) = Create(models: [("a", 100), ("b", 100)]);
        await using var _r = registry;
        Assert.Equal(ModelState.Unloaded, StateOf(registry, "a"));

        using (var lease = await registry.AcquireAsync("a", null, None)) Assert.Equal("a", lease.Model.Name);
        using (await registry.AcquireAsync("a", null, None)) { }

        Assert.Equal(1, loader.Loads["a"]);
        Assert.False(loader.Loads.ContainsKey("b"));
        Assert.Equal(ModelState.Loaded, StateOf(registry, "a"));
    }

    [Fact]
    public async Task Acquire_ConcurrentFirstRequests_LoadOnce()
    {
        var (registry, loader, _) = Create(models: [("a", 100)]);
        await using var _r = registry;
        loader.Gates["a"] = new ManualResetEventSlim();
        var waiting = Enumerable.Range(0, 8).Select(_ => registry.AcquireAsync("a", null, None)).ToList();
        await Eventually(() => registry.Status()[0].InFlight == 8, "eight requests wait for the load");
        Assert.Equal(ModelState.Loading, StateOf(registry, "a"));
        loader.Gates["a"].Set();
        foreach (var lease in await Task.WhenAll(waiting)) lease.Dispose();
        Assert.Equal(1, loader.Loads["a"]);
    }

    [Fact]
    public async Task Idle_UnloadsAfterKeepAlive_NotBefore()
    {
        var (registry, loader, time) = Create(keepAlive: TimeSpan.FromSeconds(30), models: [("a", 100)]);
        await using var _r = registry;
        using (await registry.AcquireAsync("a", null, None)) { }

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(ModelState.Loaded, StateOf(registry, "a"));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(ModelState.Unloaded, StateOf(registry, "a"));
        await Eventually(() => loader.Made.Single().Disposed, "the unloaded model is disposed");

        using (await registry.AcquireAsync("a", null, None)) { }
        Assert.Equal(2, loader.Loads["a"]);
    }

    [Fact]
    public async Task InFlight_NeverUnloads_KeepAliveCountsFromTheEnd()
    {
        var (registry, loader, time) = Create(keepAlive: TimeSpan.FromSeconds(10), models: [("a", 100)]);
        await using var _r = registry;
        var lease = await registry.AcquireAsync("a", null, None);
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(ModelState.Loaded, StateOf(registry, "a"));
        Assert.False(loader.Made.Single().Disposed);

        lease.Dispose();
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(ModelState.Loaded, StateOf(registry, "a"));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(ModelState.Unloaded, StateOf(registry, "a"));
    }

    [Fact]
    public async Task RequestKeepAlive_ZeroUnloadsAtOnce_NegativeKeepsForever_LastRequestWins()
    {
        var (registry, _, time) = Create(keepAlive: TimeSpan.FromSeconds(10), models: [("a", 100)]);
        await using var _r = registry;
        using (await registry.AcquireAsync("a", TimeSpan.Zero, None)) { }
        Assert.Equal(ModelState.Unloaded, StateOf(registry, "a"));

        using (await registry.AcquireAsync("a", Timeout.InfiniteTimeSpan, None)) { }
        time.Advance(TimeSpan.FromDays(3));
        Assert.Equal(ModelState.Loaded, StateOf(registry, "a"));
        Assert.Null(registry.Status()[0].ExpiresAt);

        using (await registry.AcquireAsync("a", TimeSpan.FromMinutes(1), None)) { }
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromMinutes(1), registry.Status()[0].ExpiresAt);
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(ModelState.Unloaded, StateOf(registry, "a"));
    }

    [Fact]
    public async Task MaxMemory_EvictsTheLeastRecentlyUsedIdleModel()
    {
        var (registry, _, time) = Create(maxMemory: 250, models: [("a", 100), ("b", 100), ("c", 100)]);
        await using var _r = registry;
        using (await registry.AcquireAsync("a", null, None)) { }
        time.Advance(TimeSpan.FromSeconds(1));
        using (await registry.AcquireAsync("b", null, None)) { }
        time.Advance(TimeSpan.FromSeconds(1));
        using (await registry.AcquireAsync("a", null, None)) { } // a is now the more recent

        using (await registry.AcquireAsync("c", null, None)) { }

        Assert.Equal(ModelState.Loaded, StateOf(registry, "a"));
        Assert.Equal(ModelState.Unloaded, StateOf(registry, "b"));
        Assert.Equal(ModelState.Loaded, StateOf(registry, "c"));
        Assert.Equal(200, registry.UsedBytes);
    }

    [Fact]
    public async Task MaxMemory_BusyModelIsNotEvicted_TheLoadWaitsForItsRequestToEnd()
    {
        var (registry, loader, _) = Create(maxMemory: 150, models: [("a", 100), ("b", 100)]);
        await using var _r = registry;
        var busy = await registry.AcquireAsync("a", null, None);

        var forB = registry.AcquireAsync("b", null, None);
        await Task.Delay(50);
        Assert.False(forB.IsCompleted);
        Assert.Equal(ModelState.Loading, StateOf(registry, "b"));
        Assert.Equal(ModelState.Loaded, StateOf(registry, "a"));
        Assert.False(loader.Loads.ContainsKey("b"));

        busy.Dispose();
        using var lease = await forB.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ModelState.Unloaded, StateOf(registry, "a"));
        await Eventually(() => loader.Made.Single(m => m.Name == "a").Disposed, "the evicted model is disposed");
    }

    [Fact]
    public async Task MaxMemory_ModelLargerThanTheBound_503SaysSo()
    {
        var (registry, loader, _) = Create(maxMemory: 150, models: [("big", 200)]);
        await using var _r = registry;
        var e = await Assert.ThrowsAsync<ApiException>(() => registry.AcquireAsync("big", null, None));
        Assert.Equal(503, e.Status);
        Assert.Contains("--max-memory", e.Message);
        Assert.Equal(ModelState.Failed, StateOf(registry, "big"));
        Assert.Empty(loader.Loads);
    }

    [Fact]
    public async Task LoadTimeout_503WithRetryAfter_TheLoadGoesOnForTheNextRequest()
    {
        var (registry, loader, time) = Create(loadTimeout: TimeSpan.FromSeconds(5), models: [("a", 100)]);
        await using var _r = registry;
        loader.Gates["a"] = new ManualResetEventSlim();
        var first = registry.AcquireAsync("a", null, None);
        await Eventually(() => registry.Status()[0].InFlight == 1, "the first request waits");
        time.Advance(TimeSpan.FromSeconds(3));
        var keeper = registry.AcquireAsync("a", null, None); // keeps the load wanted after the first gives up
        await Eventually(() => registry.Status()[0].InFlight == 2, "both requests wait");
        time.Advance(TimeSpan.FromSeconds(3));

        var e = await Assert.ThrowsAsync<ApiException>(() => first);
        Assert.Equal(503, e.Status);
        Assert.NotNull(e.RetryAfterSeconds);
        Assert.Contains("still loading", e.Message);

        loader.Gates["a"].Set();
        using (await keeper.WaitAsync(TimeSpan.FromSeconds(10))) { }
        Assert.Equal(1, loader.Loads["a"]);
    }

    [Fact]
    public async Task FailedLoad_503WithTheReason_TheNextRequestTriesAgain()
    {
        var (registry, loader, _) = Create(models: [("a", 100)]);
        await using var _r = registry;
        loader.Failures["a"] = new InvalidDataException("bad magic");

        var e = await Assert.ThrowsAsync<ApiException>(() => registry.AcquireAsync("a", null, None));
        Assert.Equal(503, e.Status);
        Assert.Contains("bad magic", e.Message);
        Assert.Equal(ModelState.Failed, StateOf(registry, "a"));
        Assert.Equal("bad magic", registry.Status()[0].Error);

        using (await registry.AcquireAsync("a", null, None)) { }
        Assert.Equal(ModelState.Loaded, StateOf(registry, "a"));
        Assert.Equal(2, loader.Loads["a"]);
    }

    [Fact]
    public async Task Names_UnknownIs404ListingTheModels_MissingIs400()
    {
        var (registry, _, _) = Create(models: [("a", 100), ("b", 100)]);
        await using var _r = registry;
        var missing = await Assert.ThrowsAsync<ApiException>(() => registry.AcquireAsync("c", null, None));
        Assert.Equal(404, missing.Status);
        Assert.Equal("model_not_found", missing.Code);
        Assert.Contains("'a', 'b'", missing.Message);
        var none = await Assert.ThrowsAsync<ApiException>(() => registry.AcquireAsync(null, null, None));
        Assert.Equal(400, none.Status);
        Assert.Equal("model", none.Param);
    }

    [Fact]
    public async Task Pinned_NeverUnloads_AndRefusesARequestKeepAlive()
    {
        var loader = new Loader(new() { ["only"] = 100 });
        var time = new FakeTimeProvider();
        await using var registry = new ModelRegistry<FakeModel>([new ModelSpec("only", "only.gguf", Preload: true, Pinned: true)], loader.Load, loader.Estimate,
            new ModelRegistryOptions { KeepAlive = TimeSpan.FromSeconds(1), SweepPeriod = TimeSpan.FromSeconds(1) }, time, answersAnyName: true);
        await registry.Preloaded.WaitAsync(TimeSpan.FromSeconds(10));

        using (var lease = await registry.AcquireAsync("whatever", null, None)) Assert.Equal("only", lease.Name);
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(ModelState.Loaded, StateOf(registry, "only"));

        var e = await Assert.ThrowsAsync<ApiException>(() => registry.AcquireAsync(null, TimeSpan.Zero, None));
        Assert.Equal("keep_alive", e.Param);
    }

    [Fact]
    public async Task Dispose_UnloadsEveryModel_AndRefusesNewRequests()
    {
        var (registry, loader, _) = Create(models: [("a", 100), ("b", 100)]);
        using (await registry.AcquireAsync("a", null, None)) { }
        using (await registry.AcquireAsync("b", null, None)) { }

        await registry.DisposeAsync();

        Assert.All(loader.Made, m => Assert.True(m.Disposed));
        var e = await Assert.ThrowsAsync<ApiException>(() => registry.AcquireAsync("a", null, None));
        Assert.Equal(503, e.Status);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("300", 300)]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("1h30m", 5400)]
    [InlineData("1.5h", 5400)]
    [InlineData("250ms", 0.25)]
    public void KeepAliveDuration_ParsesOllamaForms(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), KeepAliveDuration.TryParse(text));

    [Theory]
    [InlineData("-1")]
    [InlineData("-5m")]
    public void KeepAliveDuration_NegativeIsForever(string text) => Assert.Equal(Timeout.InfiniteTimeSpan, KeepAliveDuration.TryParse(text));

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("5 minutes")]
    [InlineData("5d")]
    [InlineData("NaN")]
    public void KeepAliveDuration_RejectsWhatIsNoDuration(string text) => Assert.Null(KeepAliveDuration.TryParse(text));
}
