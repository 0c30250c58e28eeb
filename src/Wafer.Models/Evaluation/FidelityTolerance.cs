using Wafer.Models.Inference;

namespace Wafer.Models.Evaluation;

/// <summary>How close to llama.cpp a model file must land, by the least precise weight type it holds.</summary>
/// <remarks>The bounds are llama.cpp's own spread against itself (golden/README.md, noise-floor.json):
/// an engine that mirrors ggml's activation quantization lands well inside them.</remarks>
public sealed record FidelityTolerance(string Class, double MedianTop10, double P99Top10, int MinTop10Overlap = 7)
{
    private static readonly FidelityTolerance F32 = new("F32", 0.001, 0.008);
    private static readonly FidelityTolerance F16 = new("F16", 0.003, 0.02);
    private static readonly FidelityTolerance BF16 = new("BF16", 0.017, 0.07);
    private static readonly FidelityTolerance Legacy = new("Q8_0/Q4_0/Q4_1/Q5_0/Q5_1/IQ4_NL", 0.06, 0.27);
    private static readonly FidelityTolerance KQuants = new("K-quants/IQ4_XS", 0.08, 0.37);

    /// <summary>The tolerance for a file with these tensor types (name → count).</summary>
    public static FidelityTolerance For(IEnumerable<string> tensorTypes)
    {
        var types = tensorTypes.ToHashSet();
        if (types.Any(t => t.EndsWith("_K", StringComparison.Ordinal) || t == "IQ4_XS")) return KQuants;
        if (types.Any(t => t.StartsWith('Q') || t == "IQ4_NL")) return Legacy;
        if (types.Contains("BF16")) return BF16;
        if (types.Contains("F16")) return F16;
        return F32;
    }

    /// <summary>The tolerance of a row whose KV cache was rounded to <paramref name="kv"/>: the weights' own for F32; for F16,
    /// llama.cpp's spread when it changes from an F32 to an F16 KV cache on this model (<paramref name="floor"/>, median and p99
    /// of the top-10 |Δ|) with a quarter more room, since Wafer's F16 row is a second sample of that same noise, never tighter
    /// than the weights' tolerance. Null for Q8_0: the fixtures hold no llama.cpp Q8_0-KV spread to hold it to.</summary>
    public FidelityTolerance? ForKv(KvType kv, (double Median, double P99) floor) => kv switch
    {
        KvType.F16 when floor != default => this with
        {
            Class = $"{Class}, f16 KV",
            MedianTop10 = Math.Round(Math.Max(MedianTop10, 1.25 * floor.Median), 4),
            P99Top10 = Math.Round(Math.Max(P99Top10, 1.25 * floor.P99), 4),
        },
        KvType.Q8_0 => null,
        _ => this,
    };

    /// <summary>Null when <paramref name="report"/> is within this tolerance, else what is out of bounds.</summary>
    public string? Check(FidelityReport report)
    {
        var problems = new List<string>();
        if (report.MedianTop10 > MedianTop10) problems.Add($"median |Δ| {report.MedianTop10:F4} > {MedianTop10}");
        if (report.P99Top10 > P99Top10) problems.Add($"p99 |Δ| {report.P99Top10:F4} > {P99Top10}");
        if (report.MinTop10Overlap < MinTop10Overlap) problems.Add($"top-10 overlap {report.MinTop10Overlap} < {MinTop10Overlap}");
        if (report.ArgmaxAgreementGap05 < 1) problems.Add($"argmax agreement where gap ≥ 0.5 is {report.ArgmaxAgreementGap05:P1}");
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }
}
