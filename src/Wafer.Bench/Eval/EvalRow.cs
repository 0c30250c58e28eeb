namespace Wafer.Bench.Eval;

/// <summary>One setting of <c>wafer eval</c>: its quality against the reference, its speed and its memory.</summary>
/// <param name="KvBytesPer1kTokens">KV-cache bytes one sequence needs per 1,000 tokens of context (keys and values, every layer).</param>
/// <param name="JoulesPerToken">Energy per generated token from the powercap counter, null where the machine has none.</param>
internal sealed record EvalRow(string Weights, string KvKeys, string KvValues, bool IsReference, long WeightBytes,
    Models.Evaluation.DistributionComparison.Row Quality, double PrefillTokensPerSecond, double DecodeTokensPerSecond,
    long KvBytesPer1kTokens, double? JoulesPerToken)
{
    public string Name => $"{Weights} / KV {(KvKeys == KvValues ? KvKeys : $"{KvKeys}+{KvValues}")}";
}
