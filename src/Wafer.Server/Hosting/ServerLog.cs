using Microsoft.Extensions.Logging;

namespace Wafer.Server.Hosting;

/// <summary>The server's log lines, source-generated.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "wafer: serving '{Model}' ({File}, {SizeMiB:F1} MiB, {Architecture}) at {Url}; context {Context} tokens, KV cache {KvTokens} tokens ({KvMiB:F0} MiB, {KvType}), {MaxSequences} sequences, queue {MaxQueue}")]
    public static partial void Ready(ILogger logger, string model, string file, double sizeMiB, string architecture, string url, int context, long kvTokens, double kvMiB, string kvType, int maxSequences, int maxQueue);

    [LoggerMessage(Level = LogLevel.Error, Message = "wafer: the model '{Model}' failed to load: {Reason}")]
    public static partial void LoadFailed(ILogger logger, string model, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "wafer: serving {Count} models ({Models}) at {Url}, each loaded by its first request; idle models unload after {KeepAlive}; memory bound {MaxMemory}")]
    public static partial void ServingMany(ILogger logger, int count, string models, string url, string keepAlive, string maxMemory);

    [LoggerMessage(Level = LogLevel.Information, Message = "wafer: loaded '{Model}' ({File}, {MemoryMiB:F1} MiB with its KV cache) in {Seconds:F2} s; context {Context} tokens")]
    public static partial void Loaded(ILogger logger, string model, string file, double memoryMiB, double seconds, int context);

    [LoggerMessage(Level = LogLevel.Information, Message = "wafer: unloaded '{Model}' ({Reason})")]
    public static partial void Unloaded(ILogger logger, string model, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "wafer: unhandled error on {Path}")]
    public static partial void Unhandled(ILogger logger, Exception error, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "wafer: a stream on {Path} failed after its first bytes; the client got an error event")]
    public static partial void StreamFailed(ILogger logger, Exception error, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "wafer: shutting down; waiting up to {Seconds} s for {Count} requests in flight")]
    public static partial void Draining(ILogger logger, double seconds, int count);
}
