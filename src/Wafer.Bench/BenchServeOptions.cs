namespace Wafer.Bench;

/// <summary>Everything <c>wafer bench serve</c> was asked to do, validated before the first request.</summary>
internal sealed record BenchServeOptions
{
    public required string Url { get; init; }

    public required string Model { get; init; }

    public string? ApiKey { get; init; }

    public EndpointKind Endpoint { get; init; } = EndpointKind.Chat;

    /// <summary>Requests per load level.</summary>
    public required int RequestCount { get; init; }

    /// <summary>The levels to run, in order (one unless sweeping); all closed loop or all open loop.</summary>
    public required IReadOnlyList<LoadLevel> Levels { get; init; }

    public WorkloadOptions Workload { get; init; } = new();

    public int Seed { get; init; }

    public SloOptions Slo { get; init; } = new(null, null);

    /// <summary>Unmeasured requests sent once before the first level (connection set-up, server warm-up).</summary>
    public int WarmupCount { get; init; } = 1;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public bool IgnoreEos { get; init; }

    /// <summary>Greedy requests (<c>temperature</c> 0): answers that repeat from run to run.</summary>
    public bool Greedy { get; init; }

    /// <summary>Greedy requests that send OpenAI's <c>prediction</c> of their own answer, collected by one unmeasured pass per
    /// request first (the Predicted Outputs case: code edits, documents rewritten with small changes).</summary>
    public bool Predicted { get; init; }

    /// <summary>Name of this run's series in reports (default: model @ host:port).</summary>
    public string? Label { get; init; }

    public string EffectiveLabel => Label ?? $"{Model} @ {BenchHttpClient.BaseAddress(Url).Authority}";

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) throw new ArgumentException("--model is required: the model name the server expects in requests");
        BenchHttpClient.BaseAddress(Url);
        if (RequestCount < 1) throw new ArgumentException($"--requests must be at least 1, got {RequestCount}");
        if (Levels.Count == 0) throw new ArgumentException("give --concurrency C, --rate R, or --sweep LEVELS");
        if (WarmupCount < 0) throw new ArgumentException($"--warmup must be ≥ 0, got {WarmupCount}");
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentException("--timeout-s must be positive");
        Workload.Validate();
        Slo.Validate();
    }
}
