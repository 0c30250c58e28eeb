namespace Wafer.Engine.Scheduling;

/// <summary>Limits of one scheduling step; validated on creation.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Most tokens one forward pass computes (decode tokens plus prefill chunks).</summary>
    public int MaxBatchTokens { get; init; } = 512;

    /// <summary>Most prompt tokens one request may prefill in a step (0 = the whole budget). Small chunks let short
    /// requests that arrive during a long prompt's prefill start within a step or two, at some cost in prefill speed
    /// (measured in docs/benchmarks.md).</summary>
    public int LongPrefillChunk { get; init; } = 64;

    /// <summary>Most sequences running at once.</summary>
    public int MaxSequences { get; init; } = 64;

    /// <summary>Most tokens (prompt + output) one sequence may hold; 0 = let the engine resolve it from the model
    /// (see <see cref="EngineOptions.ResolveContextLength"/>). A <see cref="Scheduler"/> needs it resolved.</summary>
    public int ContextLength { get; init; }

    /// <summary>Speculative decoding: which proposer, how many drafts, when to stop drafting (see <see cref="Speculation.SpeculationPolicy"/>).</summary>
    public Speculation.SpeculationOptions Speculation { get; init; } = Wafer.Engine.Speculation.SpeculationOptions.Off;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid limit.</summary>
    public SchedulerOptions Validate()
    {
        Speculation.Validate();
        if (MaxBatchTokens < 1) throw new ArgumentException($"the batch token budget must be ≥ 1, got {MaxBatchTokens}");
        if (LongPrefillChunk < 0) throw new ArgumentException($"the long-prefill chunk must be ≥ 0 (0 = off), got {LongPrefillChunk}");
        if (MaxSequences < 1) throw new ArgumentException($"max sequences must be ≥ 1, got {MaxSequences}");
        if (ContextLength is < 0 or 1) throw new ArgumentException($"the context length must be ≥ 2 (0 = the model's, at most {EngineOptions.DefaultMaxContextLength}), got {ContextLength}");
        return this;
    }
}
