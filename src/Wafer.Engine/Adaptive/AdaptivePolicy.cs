namespace Wafer.Engine.Adaptive;

/// <summary>The engine's load after a step, as the adaptive policy reads it.</summary>
/// <param name="KvUsage">Share of the KV blocks held by sequences, or promised to the requests queued and running (the blocks
/// each needs for its prompt and max tokens at its precision), whichever is larger; it may exceed 1 when more is promised than
/// the cache holds. Held blocks lag the promise (a request allocates as it computes), so the promise sees the pressure coming.</param>
/// <param name="Waiting">Requests still waiting after the step.</param>
/// <param name="KvRefused">A waiting request could not start in the step for lack of KV blocks.</param>
/// <param name="Preempted">A running request was preempted in the step for lack of KV blocks.</param>
public readonly record struct LoadSignals(double KvUsage, int Waiting, bool KvRefused, bool Preempted);

/// <summary>The adaptive mode's decisions, pure functions of the load signals (the engine holds the one bit of state).</summary>
/// <remarks>
/// Pressure starts when the KV cache is at least <see cref="AdaptiveOptions.EnterKvUsage"/> full, when a waiting request was
/// refused blocks or a running one preempted, or when <see cref="AdaptiveOptions.EnterWaiting"/> requests wait. It ends only when
/// the cache is down to <see cref="AdaptiveOptions.ExitKvUsage"/>, nothing waits and nothing was refused or preempted: the gap
/// between the two thresholds keeps the mode from flapping step to step. Sequences keep the precision they were admitted with
/// until they finish; only new ones follow the mode.
/// </remarks>
public static class AdaptivePolicy
{
    /// <summary>Whether the engine is under pressure after a step, given whether it was before.</summary>
    public static bool UnderPressure(bool wasUnderPressure, LoadSignals load, AdaptiveOptions options)
    {
        if (load.KvRefused || load.Preempted) return true;
        if (wasUnderPressure) return !(load.KvUsage <= options.ExitKvUsage && load.Waiting == 0);
        return load.KvUsage >= options.EnterKvUsage || (options.EnterWaiting > 0 && load.Waiting >= options.EnterWaiting);
    }

    /// <summary>Whether a new sequence is admitted at the reduced precision.</summary>
    public static bool Reduce(bool underPressure, KvQuality quality) => quality switch
    {
        KvQuality.Full => false,
        KvQuality.Fast => true,
        _ => underPressure,
    };
}
