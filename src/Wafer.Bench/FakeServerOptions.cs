namespace Wafer.Bench;

/// <summary>How a <see cref="FakeOpenAiServer"/> answers: its token schedule, its stragglers, its answers and its failures.</summary>
/// <remarks>Immutable; a test changes a running server's behaviour by giving it new options (<c>server.Options = server.Options with { … }</c>).</remarks>
internal sealed record FakeServerOptions
{
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 = any free port.</summary>
    public int Port { get; init; }

    /// <summary>Name listed by <c>GET /v1/models</c> (any model name is answered).</summary>
    public string Model { get; init; } = "fake";

    public TimeSpan FirstTokenDelay { get; init; }

    public TimeSpan TokenInterval { get; init; }

    /// <summary>Share of requests whose first token is late by <see cref="StragglerDelay"/> instead of <see cref="FirstTokenDelay"/>.</summary>
    public double StragglerFraction { get; init; }

    public TimeSpan StragglerDelay { get; init; }

    /// <summary>Chooses the stragglers: the same seed and arrival order give the same stragglers.</summary>
    public ulong Seed { get; init; }

    /// <summary>The first-token delay of request number n (0-based arrival order), overriding <see cref="FirstTokenDelay"/> and the
    /// stragglers for that request; null keeps the schedule.</summary>
    public Func<int, TimeSpan?> FirstTokenDelayFor { get; init; } = _ => null;

    /// <summary>Tokens per answer when a request gives no <c>max_tokens</c>.</summary>
    public int DefaultTokens { get; init; } = 16;

    /// <summary>The text of every answer, one token per entry (one chunk each when streaming); null: " w0", " w1", … up to <c>max_tokens</c>.</summary>
    public IReadOnlyList<string>? Tokens { get; init; }

    /// <summary>The finish reason of every answer.</summary>
    public string FinishReason { get; init; } = "length";

    /// <summary>The logprob reported for every token, when a request asks for logprobs.</summary>
    public double Logprob { get; init; } = -0.1;

    /// <summary>The <c>prompt_tokens</c> reported in usage.</summary>
    public int PromptTokens { get; init; } = 7;

    /// <summary>Whether the last chunk carries <c>usage</c> (only when the client asked for it, unless <see cref="UsageUnasked"/>).</summary>
    public bool SendUsage { get; init; } = true;

    /// <summary>Streams carry usage even when the client did not ask for it (as vLLM's <c>--enable-force-include-usage</c>).</summary>
    public bool UsageUnasked { get; init; }

    /// <summary>What <c>GET /health</c> says: 200 when true, 503 when false.</summary>
    public bool Healthy { get; init; } = true;

    /// <summary>Maps the 0-based arrival number of a request to an error to answer with (status, headers such as Retry-After), or null to answer normally.</summary>
    public Func<int, FakeFailure?> FailWith { get; init; } = _ => null;

    /// <summary>Keep a <see cref="FakeOpenAiServer.ServedStream"/> per request (tests; unbounded, so off for long runs).</summary>
    public bool RecordServed { get; init; }

    /// <summary>The <c>X-Wafer-KV-Precision</c> header of the answer to request number n (0-based), as <c>wafer serve</c> sends
    /// it; null = none.</summary>
    public Func<int, string?> KvPrecisionFor { get; init; } = _ => null;

    /// <summary>Whether request <paramref name="number"/> (0-based arrival order) is a straggler: a hash of seed and number, so the choice is stable and independent of timing.</summary>
    public bool IsStraggler(int number)
    {
        if (StragglerFraction <= 0) return false;
        ulong z = Seed * 0x9E3779B97F4A7C15UL + (ulong)number + 1;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53)) < StragglerFraction;
    }

    /// <summary>Throws for options no server can follow; the messages name the CLI flags.</summary>
    public void Validate()
    {
        if (StragglerFraction is < 0 or > 1 || double.IsNaN(StragglerFraction))
            throw new ArgumentException($"--straggler-fraction {StragglerFraction}: use a share between 0 and 1, e.g. 0.05");
        if (FirstTokenDelay < TimeSpan.Zero || TokenInterval < TimeSpan.Zero || StragglerDelay < TimeSpan.Zero)
            throw new ArgumentException("delays must be zero or positive milliseconds");
        if (Tokens is { Count: 0 }) throw new ArgumentException("Tokens: give at least one token, or null for the generated ones");
    }
}
