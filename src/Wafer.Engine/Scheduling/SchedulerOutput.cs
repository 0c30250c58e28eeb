using Wafer.Engine.Requests;

namespace Wafer.Engine.Scheduling;

/// <summary>What one engine step runs, and what the scheduler did to make room.</summary>
public sealed class SchedulerOutput
{
    /// <summary>The chunks to compute, in batch order.</summary>
    public List<ScheduledChunk> Chunks { get; } = [];

    /// <summary>Requests preempted in this step (their blocks are free; they will be recomputed).</summary>
    public List<EngineRequest> Preempted { get; } = [];

    /// <summary>Tokens scheduled in all.</summary>
    public int TokenCount { get; internal set; }

    /// <summary>True when there is nothing to run.</summary>
    public bool IsEmpty => Chunks.Count == 0;

    /// <summary>Empties the output for the next step (the engine reuses one, so a step allocates nothing).</summary>
    internal void Clear()
    {
        Chunks.Clear();
        Preempted.Clear();
        TokenCount = 0;
    }
}
