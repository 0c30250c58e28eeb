namespace Wafer.Server.Hosting;

/// <summary>How a <see cref="ModelRegistry{T}"/> loads and unloads its models.</summary>
public sealed record ModelRegistryOptions
{
    /// <summary>How long a model stays loaded after its last request ends (<c>--keep-alive</c>; a request's own
    /// <c>keep_alive</c> replaces it for that model); <see cref="Timeout.InfiniteTimeSpan"/> = until the server stops.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Bound on the loaded models' <see cref="ILoadedModel.MemoryBytes"/> (<c>--max-memory</c>); 0 = none.</summary>
    public long MaxMemoryBytes { get; init; }

    /// <summary>How long a request waits for its model to load before it gets 503 with Retry-After (<c>--load-timeout</c>);
    /// the load goes on, so a retry finds it further along.</summary>
    public TimeSpan LoadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often idle models are checked against their keep-alive.</summary>
    public TimeSpan SweepPeriod { get; init; } = TimeSpan.FromMilliseconds(250);
}
