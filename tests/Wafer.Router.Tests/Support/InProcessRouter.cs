using System.Globalization;
using Microsoft.Extensions.Logging;
using Wafer.Router.Hosting;

namespace Wafer.Router.Tests.Support;

/// <summary>A <see cref="WaferRouter"/> in the test process on a free loopback port, with its config in a temp file.</summary>
internal sealed class InProcessRouter : IAsyncDisposable
{
    private InProcessRouter(WaferRouter router, string configPath)
    {
        Router = router;
        ConfigPath = configPath;
        Http = new HttpClient { BaseAddress = router.Url, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WaferRouter Router { get; }
    public string ConfigPath { get; }
    public HttpClient Http { get; }

    /// <summary>Starts a router on <paramref name="configJson"/>; <paramref name="time"/> defaults to the system clock.</summary>
    public static async Task<InProcessRouter> StartAsync(string configJson, Random? random = null, TimeProvider? time = null)
    {
        string path = Path.Combine(Path.GetTempPath(), $"wafer-router-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, configJson);
        var router = await WaferRouter.StartAsync(new RouterOptions
        {
            ConfigPath = path,
            Port = 0,
            ReloadInterval = TimeSpan.FromMilliseconds(100),
            Random = random ?? new Random(42),
            Time = time ?? TimeProvider.System,
        }, logging => logging.ClearProviders());
        return new InProcessRouter(router, path);
    }

    /// <summary>Writes <paramref name="json"/> to the config file and waits until the watcher has taken it in
    /// (<paramref name="accepted"/>) or rejected it; fails only if that never happens.</summary>
    public async Task ReplaceConfigAsync(string json, bool accepted)
    {
        var watcher = Router.Watcher;
        int before = accepted ? watcher.Reloads : watcher.Rejections;
        await File.WriteAllTextAsync(ConfigPath, json);
        await Wait.UntilAsync(watcher.NextAttemptAsync, () => (accepted ? watcher.Reloads : watcher.Rejections) > before,
            $"the config watcher never {(accepted ? "reloaded" : "rejected")} {ConfigPath}");
    }

    /// <summary>Sums a metric over its label sets (lines starting with <paramref name="prefix"/>).</summary>
    public async Task<double> MetricAsync(string prefix) => Metrics.Sum(await Http.GetStringAsync("metrics"), prefix);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Router.DisposeAsync();
        File.Delete(ConfigPath);
    }
}

/// <summary>Reads Prometheus text.</summary>
internal static class Metrics
{
    /// <summary>Sum of the samples whose name starts with <paramref name="prefix"/> (excluding _bucket/_count/_sum of histograms unless named).</summary>
    public static double Sum(string text, string prefix)
    {
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(prefix, StringComparison.Ordinal)) continue;
            string name = line.Split('{', ' ')[0];
            if (name != prefix && !name.StartsWith(prefix + "_", StringComparison.Ordinal)) continue;
            sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }
        return sum;
    }
}
