using Wafer.Router.Hosting;

namespace Wafer.Router.Configuration;

/// <summary>Reloads router.json when its time stamp or size changes and hands it to <c>apply</c>; a file that fails to load or apply, for any reason, is logged and the previous configuration stays.</summary>
/// <remarks>
/// Every reload attempt is counted (<see cref="Reloads"/>, <see cref="Rejections"/>) and completes the task
/// <see cref="NextAttemptAsync"/> handed out, so tests wait for the watcher instead of sleeping.
/// </remarks>
internal sealed class ConfigWatcher(string path, TimeSpan interval, RouterContext context, Action<RouterConfig> apply, Func<string, RouterConfig>? load = null)
{
    private readonly Func<string, RouterConfig> _load = load ?? RouterConfigLoader.Load;
    private (DateTime, long) _seen = Stamp(path);
    private int _reloads;
    private int _rejections;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Reloads that took effect.</summary>
    public int Reloads => Volatile.Read(ref _reloads);

    /// <summary>Reloads that failed, so the previous configuration stayed.</summary>
    public int Rejections => Volatile.Read(ref _rejections);

    /// <summary>Completes after the next reload attempt, once its outcome is counted.</summary>
    public Task NextAttemptAsync() => Volatile.Read(ref _next).Task;

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(interval, context.Time, ct).ConfigureAwait(false);
            (DateTime, long) stamp;
            try
            {
                stamp = Stamp(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
            {
                // The file's metadata could not be read this time; the next poll tries again.
                RouterLog.WatchFailed(context.Logger, path, e.Message);
                continue;
            }
            if (stamp == _seen) continue;
            _seen = stamp;
            TryReload();
        }
    }

    /// <summary>Loads the file now; returns whether the new configuration took effect.</summary>
    public bool TryReload()
    {
        bool ok = false;
        try
        {
            var config = _load(path);
            apply(config);
            RouterLog.Reloaded(context.Logger, path, config.Routes.Count, config.Backends.Count);
            ok = true;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // The loader's own errors name the field and the fix; the message is the whole story.
            RouterLog.ReloadRejected(context.Logger, e.Message);
        }
        catch (Exception e)
        {
            // Anything else (a value the loader let through but building state refused, a bug) must not end hot reload.
            RouterLog.ReloadFailed(context.Logger, e, path, e.GetType().Name, e.Message);
        }
        if (ok) Interlocked.Increment(ref _reloads);
        else Interlocked.Increment(ref _rejections);
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return ok;
    }

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }
}
