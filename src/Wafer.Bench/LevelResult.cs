namespace Wafer.Bench;

/// <summary>The raw outcome of one load level: every request's record and the level's wall time.</summary>
/// <param name="Level">The load applied.</param>
/// <param name="Records">One record per request, in workload order.</param>
/// <param name="DurationSeconds">From the first request sent to the last one finished.</param>
internal sealed record LevelResult(LoadLevel Level, IReadOnlyList<RequestRecord> Records, double DurationSeconds);
