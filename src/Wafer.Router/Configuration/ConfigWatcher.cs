using Wafer.Router.Hosting;

namespace Wafer.Router.Configuration;

/// <summary>Reloads router.json when its time stamp or size changes; an invalid file is logged and the previous configuration stays.</summary>
internal sealed class ConfigWatcher(string path, TimeSpan interval, RouterContext context, Func<RouterConfig, RouterState> build)
{
    private (DateTime, long) _seen = Stamp(path);

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(interval, context.Time, ct).ConfigureAwait(false);
            var stamp = Stamp(path);
            if (stamp == _seen) continue;
            _seen = stamp;
            TryReload();
        }
    }

    /// <summary>Loads the file now; returns whether the new configuration took effect.</summary>
    public bool TryReload()
    {
        try
        {
            var config = RouterConfigLoader.Load(path);
            context.State = build(config);
            RouterLog.Reloaded(context.Logger, path, config.Routes.Count, config.Backends.Count);
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            RouterLog.ReloadRejected(context.Logger, e.Message);
            return false;
        }
    }

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }
}
