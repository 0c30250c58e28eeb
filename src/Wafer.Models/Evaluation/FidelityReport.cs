using Wafer.Models.Architectures;

namespace Wafer.Models.Evaluation;

/// <summary>How far Wafer's teacher-forced distributions sit from llama.cpp's on one golden file.</summary>
/// <param name="Steps">Positions compared.</param>
/// <param name="MedianTop10">Median |Δlogprob| over the reference top-10 of every step.</param>
/// <param name="P99Top10">99th percentile of the same.</param>
/// <param name="MaxTop10">Largest of the same.</param>
/// <param name="MinTop10Overlap">Smallest count of shared ids between the two top-10 lists.</param>
/// <param name="ArgmaxAgreementGap05">Share of steps with reference top-1/top-2 gap ≥ 0.5 whose argmax agrees.</param>
/// <param name="ArgmaxAgreement">Share of all steps whose argmax agrees.</param>
public sealed record FidelityReport(int Steps, double MedianTop10, double P99Top10, double MaxTop10, int MinTop10Overlap, double ArgmaxAgreementGap05, double ArgmaxAgreement)
{
    /// <summary>Teacher-forces every case of <paramref name="golden"/> through <paramref name="model"/> and compares.</summary>
    public static FidelityReport Measure(TransformerModel model, GoldenCompletions golden, Inference.KvType kvType = Inference.KvType.F32)
    {
        int vocab = model.Config.VocabSize;
        var deltas = new List<double>();
        int minOverlap = int.MaxValue, steps = 0, agree = 0, wideSteps = 0, wideAgree = 0;
        foreach (var c in golden.Cases)
        {
            var tokens = c.PromptTokens.Concat(c.GeneratedTokens).ToArray();
            var positions = c.Steps.Select(s => c.PromptTokens.Length - 1 + s.Index).ToArray();
            var logProbs = TeacherForcing.LogProbabilities(model, tokens, positions, kvType);
            for (int i = 0; i < c.Steps.Count; i++)
            {
                var step = c.Steps[i];
                var row = logProbs.AsSpan(i * vocab, vocab);
                foreach (var (id, lp) in step.Top) deltas.Add(Math.Abs(row[id] - lp));
                var ours = TeacherForcing.Top(row, step.Top.Length);
                minOverlap = Math.Min(minOverlap, ours.Count(o => step.Top.Any(t => t.Id == o.Id)));
                bool same = ours[0].Id == step.Top[0].Id;
                steps++;
                if (same) agree++;
                if (step.Top1Top2Gap >= 0.5f)
                {
                    wideSteps++;
                    if (same) wideAgree++;
                }
            }
        }
        deltas.Sort();
        return new FidelityReport(steps, Percentile(deltas, 0.5), Percentile(deltas, 0.99), deltas.Count == 0 ? 0 : deltas[^1],
            minOverlap == int.MaxValue ? 0 : minOverlap, wideSteps == 0 ? 1 : (double)wideAgree / wideSteps, steps == 0 ? 1 : (double)agree / steps);
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
