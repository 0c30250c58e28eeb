using System.Threading.Channels;
using Wafer.Router.Configuration;
using Wafer.Router.Discovery;
using Wafer.Router.Tests.Support;

namespace Wafer.Router.Tests.Discovery;

/// <summary>The EndpointSlice source against a loopback fake of the API: list, watch, resume, 410, failures, ports.</summary>
public sealed class KubernetesReplicaSourceTests
{
    private sealed class Run : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _task;

        public Run(KubernetesDiscoveryConfig config)
        {
            var source = new KubernetesReplicaSource(config, "http", TimeProvider.System);
            _task = source.RunAsync(r => Found.Writer.TryWrite(r), e => Failures.Writer.TryWrite(e), _stop.Token);
        }

        public Channel<IReadOnlyList<Replica>> Found { get; } = Channel.CreateUnbounded<IReadOnlyList<Replica>>();
        public Channel<string> Failures { get; } = Channel.CreateUnbounded<string>();

        public async Task<string> NextAsync()
        {
            var set = await Found.Reader.ReadAsync().AsTask().WaitAsync(Wait.Generous);
            return string.Join(" ", set.Select(r => r.Url));
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _task.WaitAsync(Wait.Generous);
            _stop.Dispose();
        }
    }

    private static KubernetesDiscoveryConfig Config(FakeKubernetesApi api, string? portName = "http", int? port = null) =>
        new() { Service = "wafer-serve", Namespace = "wafer", PortName = portName, Port = port, ApiServer = api.Url.ToString() };

    [Fact]
    public async Task ListThenWatch_EveryChangeOfTheReadySetIsPublished()
    {
        await using var api = await FakeKubernetesApi.StartAsync("wafer", "wafer-serve");
        api.SetSlice("s1", 8080, ("10.0.0.1", true), ("10.0.0.2", true), ("10.0.0.9", false));
        await using var run = new Run(Config(api));
        Assert.Equal("http://10.0.0.1:8080 http://10.0.0.2:8080", await run.NextAsync());

        api.SetSlice("s2", 8080, ("10.0.0.3", true));
        Assert.Equal("http://10.0.0.1:8080 http://10.0.0.2:8080 http://10.0.0.3:8080", await run.NextAsync());
        api.SetSlice("s1", 8080, ("10.0.0.1", true), ("10.0.0.2", false));
        Assert.Equal("http://10.0.0.1:8080 http://10.0.0.3:8080", await run.NextAsync());
        api.DeleteSlice("s2");
        Assert.Equal("http://10.0.0.1:8080", await run.NextAsync());
        api.SetSlice("s1", 8080, ("10.0.0.1", true)); // same set: nothing published
        api.SetSlice("s3", 8080);
        api.DeleteSlice("s1");
        Assert.Equal("", await run.NextAsync());
        Assert.Equal(1, api.Lists);
    }

    [Fact]
    public async Task WatchEndedByTheServer_ResumesFromTheLastVersionWithoutListing()
    {
        await using var api = await FakeKubernetesApi.StartAsync("wafer", "wafer-serve");
        api.SetSlice("s1", 8080, ("10.0.0.1", true));
        await using var run = new Run(Config(api));
        Assert.Equal("http://10.0.0.1:8080", await run.NextAsync());
        await Wait.UntilAsync(() => api.WatchesOpened == 1, "the first watch");
        api.SetSlice("s1", 8080, ("10.0.0.3", true));
        Assert.Equal("http://10.0.0.3:8080", await run.NextAsync());
        api.EndWatches();
        await Wait.UntilAsync(() => api.WatchesOpened == 2, "the watch resumed");
        api.SetSlice("s1", 8080, ("10.0.0.3", true), ("10.0.0.2", true));
        Assert.Equal("http://10.0.0.2:8080 http://10.0.0.3:8080", await run.NextAsync());
        Assert.False(run.Failures.Reader.TryRead(out var failure), failure);
        Assert.Equal(1, api.Lists);
    }

    [Fact]
    public async Task Gone_ListsAgainAndCatchesUp()
    {
        await using var api = await FakeKubernetesApi.StartAsync("wafer", "wafer-serve");
        api.SetSlice("s1", 8080, ("10.0.0.1", true));
        await using var run = new Run(Config(api));
        Assert.Equal("http://10.0.0.1:8080", await run.NextAsync());
        await Wait.UntilAsync(() => api.WatchesOpened == 1, "the first watch");
        api.SetSlice("s1", 8080, ("10.0.0.4", true));
        Assert.Equal("http://10.0.0.4:8080", await run.NextAsync());
        api.ExpireBefore();
        await Wait.UntilAsync(() => api.Lists >= 2, "a list after 410 Gone");
        api.SetSlice("s1", 8080, ("10.0.0.5", true));
        Assert.Equal("http://10.0.0.5:8080", await run.NextAsync());
    }

    [Fact]
    public async Task ApiRefuses_FailureReportedWithTheStatus_ThenRecovers()
    {
        await using var api = await FakeKubernetesApi.StartAsync("wafer", "wafer-serve");
        api.SetSlice("s1", 8080, ("10.0.0.1", true));
        api.ListStatus = 403;
        await using var run = new Run(Config(api));
        string failure = await run.Failures.Reader.ReadAsync().AsTask().WaitAsync(Wait.Generous);
        Assert.Contains("kubernetes service wafer/wafer-serve", failure, StringComparison.Ordinal);
        Assert.Contains("403", failure, StringComparison.Ordinal);
        api.ListStatus = 200;
        Assert.Equal("http://10.0.0.1:8080", await run.NextAsync());
    }

    [Fact]
    public async Task Ports_ByNameByNumberOrTheOnlyOne()
    {
        await using var api = await FakeKubernetesApi.StartAsync("wafer", "wafer-serve");
        api.SetSlice("s1", 9000, ("10.0.0.1", true));
        await using (var byNumber = new Run(Config(api, portName: null, port: 9000))) Assert.Equal("http://10.0.0.1:9000", await byNumber.NextAsync());
        await using (var only = new Run(Config(api, portName: null))) Assert.Equal("http://10.0.0.1:9000", await only.NextAsync());
        await using (var wrongName = new Run(Config(api, portName: "grpc"))) Assert.Equal("", await wrongName.NextAsync());
    }

    [Fact]
    public async Task WrongNamespace_NoReplicas()
    {
        await using var api = await FakeKubernetesApi.StartAsync("wafer", "wafer-serve");
        api.SetSlice("s1", 8080, ("10.0.0.1", true));
        await using var run = new Run(Config(api) with { Namespace = "other" });
        Assert.Equal("", await run.NextAsync());
    }
}
