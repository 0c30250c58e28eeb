namespace Wafer.Router.Hosting;

/// <summary>How <c>wafer route</c> starts: the config file and where to listen.</summary>
public sealed record RouterOptions
{
    /// <summary>Path of router.json; reloaded when it changes.</summary>
    public required string ConfigPath { get; init; }

    /// <summary>Address to bind.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Port; 0 picks a free one.</summary>
    public int Port { get; init; } = 8090;

    /// <summary>How often the config file is checked for changes.</summary>
    public TimeSpan ReloadInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Clock for probes, breakers, hedge delays and rate limits (tests inject a fake).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Random source for policies (tests fix the seed).</summary>
    public Random Random { get; init; } = Random.Shared;

    /// <summary>Adds to the tracer provider (a host's exporter, e.g. tests' in-memory one); with it, tracing is on whatever
    /// the environment says. Null: tracing follows the <c>OTEL_*</c> variables.</summary>
    public Action<OpenTelemetry.Trace.TracerProviderBuilder>? ConfigureTracing { get; init; }

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException($"--port {Port} is not a port; use 0–65535");
        if (string.IsNullOrWhiteSpace(Host)) throw new ArgumentException("--host is empty; use e.g. 127.0.0.1 or 0.0.0.0");
    }
}
