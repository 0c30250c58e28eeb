namespace Wafer.Bench.Eval;

/// <summary>What <c>wafer eval</c> measured: a row per setting (the reference first), the tokens scored, and why there is no
/// energy figure when there is none.</summary>
internal sealed record EvalResult(EvalOptions Options, IReadOnlyList<EvalRow> Rows, int ScoredTokens, string? NoEnergyReason);
