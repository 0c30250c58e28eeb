using Microsoft.Extensions.Logging;

namespace Wafer.Router.Hosting;

/// <summary>The router's log messages.</summary>
internal static partial class RouterLog
{
    [LoggerMessage(1, LogLevel.Information, "Routing {RouteCount} model(s) over {BackendCount} backend(s) at {Url}")]
    public static partial void Listening(ILogger logger, int routeCount, int backendCount, string url);

    [LoggerMessage(2, LogLevel.Information, "Reloaded {Path}: {RouteCount} route(s), {BackendCount} backend(s)")]
    public static partial void Reloaded(ILogger logger, string path, int routeCount, int backendCount);

    [LoggerMessage(3, LogLevel.Error, "Kept the previous configuration: {Message}")]
    public static partial void ReloadRejected(ILogger logger, string message);

    [LoggerMessage(4, LogLevel.Warning, "Backend '{Backend}' ejected (circuit open)")]
    public static partial void Ejected(ILogger logger, string backend);

    [LoggerMessage(5, LogLevel.Information, "Backend '{Backend}' recovered (circuit closed)")]
    public static partial void Recovered(ILogger logger, string backend);

    [LoggerMessage(6, LogLevel.Debug, "Attempt failed: {Message}")]
    public static partial void AttemptFailed(ILogger logger, string message);

    [LoggerMessage(7, LogLevel.Warning, "Backend '{Backend}' probe: {Status}")]
    public static partial void ProbeChanged(ILogger logger, string backend, string status);

    [LoggerMessage(8, LogLevel.Error, "Unhandled error on {Path}")]
    public static partial void Unhandled(ILogger logger, Exception exception, string path);

    [LoggerMessage(9, LogLevel.Debug, "Stream from '{Backend}' broke after bytes reached the client: {Message}")]
    public static partial void StreamBroken(ILogger logger, string backend, string message);

    [LoggerMessage(10, LogLevel.Error, "Kept the previous configuration: reloading {Path} failed with {ExceptionType}: {Message}")]
    public static partial void ReloadFailed(ILogger logger, Exception exception, string path, string exceptionType, string message);

    [LoggerMessage(11, LogLevel.Warning, "Could not check {Path} for changes (will try again): {Message}")]
    public static partial void WatchFailed(ILogger logger, string path, string message);

    [LoggerMessage(12, LogLevel.Information, "Discovered {Count} replica(s) of '{Group}' (added: {Added}; removed: {Removed})")]
    public static partial void Discovered(ILogger logger, string group, int count, string added, string removed);

    [LoggerMessage(13, LogLevel.Warning, "Discovery of '{Group}': {Reason}")]
    public static partial void DiscoveryFailed(ILogger logger, string group, string reason);

    [LoggerMessage(14, LogLevel.Error, "Rebuilding the routes after a discovery change failed with {ExceptionType}: {Message}")]
    public static partial void RebuildFailed(ILogger logger, Exception exception, string exceptionType, string message);
}
