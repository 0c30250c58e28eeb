using Microsoft.Extensions.Logging;
using Wafer.Router.Configuration;
using Wafer.Router.Hosting;
using Wafer.Router.Tests.Support;

namespace Wafer.Router.Tests.Configuration;

public sealed class ConfigWatcherTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"wafer-watcher-{Guid.NewGuid():N}.json");
    private readonly ListLogger _log = new();
    private readonly HttpClient _client = new();
    private readonly RouterMetrics _metrics = new();

    private static string Config(string model) => Configs.Router([Configs.Backend("a", new Uri("http://127.0.0.1:1"), $"\"{model}\"")], [Configs.Route(model, ["a"])]);

    private RouterContext Context()
    {
        File.WriteAllText(_path, Config("m"));
        return new RouterContext(_client, TimeProvider.System, _metrics, _log, Build(RouterConfigLoader.Load(_path), null));
    }

    private static RouterState Build(RouterConfig config, RouterState? previous) =>
        RouterState.Build(config, previous, TimeProvider.System, new Random(1), _ => { }, _ => { });

    [Fact]
    public void TryReload_LoaderThrowsUnexpectedException_LoggedWithItAndPreviousKept()
    {
        var context = Context();
        var before = context.State;
        var watcher = new ConfigWatcher(_path, TimeSpan.FromSeconds(1), context, c => context.State = Build(c, context.State),
            _ => throw new InvalidOperationException("loader bug"));

        Assert.False(watcher.TryReload());

        Assert.Same(before, context.State);
        Assert.Equal((0, 1), (watcher.Reloads, watcher.Rejections));
        var entry = Assert.Single(_log.Entries, e => e.Level == LogLevel.Error);
        Assert.IsType<InvalidOperationException>(entry.Exception);
        Assert.Contains("InvalidOperationException", entry.Message);
        Assert.Contains("loader bug", entry.Message);
        Assert.Contains(_path, entry.Message);
    }

    [Fact]
    public void TryReload_BuildThrowsUnexpectedException_PreviousKept()
    {
        var context = Context();
        var before = context.State;
        var watcher = new ConfigWatcher(_path, TimeSpan.FromSeconds(1), context, _ => throw new ArgumentOutOfRangeException("config", "build bug"));

        Assert.False(watcher.TryReload());

        Assert.Same(before, context.State);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Error && e.Exception is ArgumentOutOfRangeException);
    }

    [Fact]
    public async Task RunAsync_ReloadThrowsUnexpectedException_KeepsWatchingAndTakesTheNextGoodFile()
    {
        var context = Context();
        var before = context.State;
        // Any file naming "unloadable" fails the way no loader check expects; a half-written file is never valid JSON.
        var watcher = new ConfigWatcher(_path, TimeSpan.FromMilliseconds(10), context, c => context.State = Build(c, context.State),
            path => File.ReadAllText(path).Contains("unloadable", StringComparison.Ordinal) ? throw new InvalidOperationException("unexpected") : RouterConfigLoader.Load(path));
        using var stop = new CancellationTokenSource();
        var running = watcher.RunAsync(stop.Token);

        await File.WriteAllTextAsync(_path, Config("unloadable"));
        await Wait.UntilAsync(watcher.NextAttemptAsync, () => watcher.Rejections > 0, "the watcher never tried the first edit");
        Assert.Same(before, context.State);

        await File.WriteAllTextAsync(_path, Config("good-model"));
        await Wait.UntilAsync(watcher.NextAttemptAsync, () => watcher.Reloads > 0, "the watcher stopped after the failed reload");
        Assert.True(context.State.Routes.ContainsKey("good-model"));
        Assert.False(running.IsCompleted);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    public void Dispose()
    {
        _client.Dispose();
        _metrics.Dispose();
        File.Delete(_path);
    }
}
