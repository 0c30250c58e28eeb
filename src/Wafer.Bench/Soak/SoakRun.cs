namespace Wafer.Bench.Soak;

/// <summary>What a soak measured: the model, when it started and how long it ran, the requests' outcomes, the samples under load
/// and at idle before and after, and the verdict.</summary>
internal sealed record SoakRun(string Model, DateTimeOffset StartedUtc, TimeSpan Elapsed, SoakTally Tally, IReadOnlyList<ServerSample> Load,
    ServerSample IdleStart, ServerSample IdleEnd, SoakVerdict Verdict);
