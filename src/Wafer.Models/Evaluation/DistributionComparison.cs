using Wafer.Models.Architectures;
using Wafer.Models.Inference;

namespace Wafer.Models.Evaluation;

/// <summary>Perplexity of several settings of one model (weight types, KV-cache types) on the same text, and how far each
/// setting's next-token distributions are from the first setting's, as <c>llama-perplexity --kl-divergence</c> measures it:
/// KL divergence of the reference's distribution to the setting's at every scored position (mean, median, 99th percentile,
/// maximum), and the share of positions where both pick the same most likely token.</summary>
/// <remarks>
/// Chunks and scored positions are <see cref="Perplexity"/>'s (llama-perplexity's): each chunk of <c>context</c> tokens starts a
/// fresh sequence with BOS; its second half is scored. Settings run chunk by chunk side by side, so the reference's
/// distributions are never stored: per chunk, [scored, vocab] log-probabilities of the reference, then each setting's.
/// </remarks>
public static class DistributionComparison
{
    /// <summary>One setting: a name, its loaded model and the KV types its attention reads (rounded as a paged cache of those
    /// types stores them; see <see cref="ContiguousKvCache"/>).</summary>
    public sealed record Setting(string Name, TransformerModel Model, KvType Keys, KvType Values);

    /// <summary>A setting's figures; the reference's own row has zero divergence and full agreement.</summary>
    public sealed record Row(string Name, int ScoredTokens, double Perplexity, double PerplexityError, double MeanKl, double MedianKl, double P99Kl,
        double MaxKl, double Top1Agreement);

    /// <summary>Compares every setting with <paramref name="settings"/>[0] over at most <paramref name="maxChunks"/> chunks.</summary>
    /// <param name="progress">Told the chunks done.</param>
    public static IReadOnlyList<Row> Compute(IReadOnlyList<Setting> settings, IReadOnlyList<int> tokens, int context, int bosTokenId, int maxChunks,
        IProgress<int>? progress = null)
    {
        if (settings.Count == 0) throw new ArgumentException("no setting to evaluate");
        var config = settings[0].Model.Config;
        foreach (var s in settings)
            if (s.Model.Config.VocabSize != config.VocabSize)
                throw new ArgumentException($"setting '{s.Name}' has a vocabulary of {s.Model.Config.VocabSize} tokens, the reference {config.VocabSize}: compare settings of one model");
        if (maxChunks < 1) throw new ArgumentException($"at most {maxChunks} chunks: score at least one");
        int chunks = Math.Min(maxChunks, Perplexity.ChunkCount(config, tokens.Count, context));
        int vocab = config.VocabSize, first = context / 2, scored = context - 1 - first;
        var reference = new float[scored * vocab]; // [scored, vocab] log-probabilities of the reference
        var logits = new float[scored * vocab];
        var accumulators = settings.Select(_ => new Accumulator()).ToArray();
        var batch = new ForwardBatch();
        for (int k = 0; k < chunks; k++)
        {
            batch.Clear();
            for (int p = 0; p < context; p++)
                batch.Add(p == 0 && bosTokenId >= 0 ? bosTokenId : tokens[k * context + p], p, 0, p >= first && p < context - 1);
            for (int s = 0; s < settings.Count; s++)
            {
                var setting = settings[s];
                var target = s == 0 ? reference : logits;
                setting.Model.Forward(batch, new ContiguousKvCache(setting.Model.Config, context, setting.Keys, setting.Values), target);
                for (int i = 0; i < scored; i++)
                {
                    var row = target.AsSpan(i * vocab, vocab);
                    Kernels.Ops.Softmax.LogSoftmax(row, row);
                    accumulators[s].Add(reference.AsSpan(i * vocab, vocab), row, tokens[k * context + first + i + 1]);
                }
            }
            progress?.Report(k + 1);
        }
        return [.. settings.Select((s, i) => accumulators[i].Row(s.Name))];
    }

    /// <summary>KL(P‖Q) = Σ p·(log p − log q) over the vocabulary, from log-probabilities.</summary>
    public static double KlDivergence(ReadOnlySpan<float> logP, ReadOnlySpan<float> logQ)
    {
        double kl = 0;
        for (int v = 0; v < logP.Length; v++)
        {
            double p = Math.Exp(logP[v]);
            if (p > 0) kl += p * (logP[v] - logQ[v]);
        }
        return Math.Max(0, kl); // rounding can leave a tiny negative sum where the distributions agree
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int v = 1; v < values.Length; v++)
            if (values[v] > values[best]) best = v;
        return best;
    }

    private sealed class Accumulator
    {
        private readonly List<double> _kl = [];
        private double _nll, _nll2;
        private int _agree;

        public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> logProbs, int next)
        {
            double nll = -logProbs[next];
            _nll += nll;
            _nll2 += nll * nll;
            _kl.Add(KlDivergence(reference, logProbs));
            if (ArgMax(reference) == ArgMax(logProbs)) _agree++;
        }

        public Row Row(string name)
        {
            int n = _kl.Count;
            double mean = _nll / n, variance = _nll2 / n - mean * mean;
            double error = n > 1 ? Math.Sqrt(Math.Max(0, variance) / (n - 1)) * Math.Exp(mean) : 0;
            var sorted = _kl.Order().ToArray();
            return new Row(name, n, Math.Exp(mean), error, _kl.Average(), Quantile(sorted, 0.5), Quantile(sorted, 0.99), sorted[^1], (double)_agree / n);
        }

        private static double Quantile(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
