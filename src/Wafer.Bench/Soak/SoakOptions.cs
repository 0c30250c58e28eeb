namespace Wafer.Bench.Soak;

/// <summary>What <c>wafer bench soak</c> runs: how long, how many requests in flight, the mix of requests, and how often the
/// server's <c>/metrics</c> is sampled.</summary>
internal sealed record SoakOptions
{
    public required string Url { get; init; }

    /// <summary>The model sent in every request; null asks <c>/v1/models</c> for the first one.</summary>
    public string? Model { get; init; }

    public string? ApiKey { get; init; }

    public required TimeSpan Duration { get; init; }

    /// <summary>Requests kept in flight (closed loop).</summary>
    public int Concurrency { get; init; } = 4;

    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(10);

    public int Seed { get; init; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Upper bound of a request's max_tokens (each draws 1…this).</summary>
    public int MaxTokens { get; init; } = 48;

    /// <summary>Upper bound of a prompt's length in words (each draws 1…this).</summary>
    public int MaxPromptWords { get; init; } = 120;

    /// <summary>Share of requests the client abandons after their first streamed token.</summary>
    public double CancelShare { get; init; } = 0.1;

    /// <summary>Share of requests with a malformed body, which must be answered 4xx.</summary>
    public double BadShare { get; init; } = 0.1;

    /// <summary>The first share of the run that the growth verdict leaves out (JIT, pools and caches filling).</summary>
    public double WarmupShare { get; init; } = 0.2;

    /// <summary>How long, after the last request, the server may take to return to idle (no request running, KV blocks back,
    /// every request counted).</summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public void Validate()
    {
        if (Duration <= TimeSpan.Zero) throw new ArgumentException("--duration must be positive, e.g. 2m or 1h");
        if (Concurrency < 1) throw new ArgumentException($"--concurrency {Concurrency} must be at least 1");
        if (SampleInterval <= TimeSpan.Zero) throw new ArgumentException("--sample-interval must be positive, e.g. 10s");
        if (SampleInterval > Duration) throw new ArgumentException($"--sample-interval ({SampleInterval.TotalSeconds:0.#} s) is longer than --duration ({Duration.TotalSeconds:0.#} s); the run would have no sample to judge");
        if (MaxTokens < 1) throw new ArgumentException($"--max-tokens {MaxTokens} must be at least 1");
        if (MaxPromptWords < 1) throw new ArgumentException($"--max-prompt-words {MaxPromptWords} must be at least 1");
        if (CancelShare is < 0 or > 1 || BadShare is < 0 or > 1 || CancelShare + BadShare > 1)
            throw new ArgumentException($"--cancel-share ({CancelShare}) and --bad-share ({BadShare}) must each be in 0…1 and sum to at most 1");
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentException("--timeout-s must be positive");
    }
}
