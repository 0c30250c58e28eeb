using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Evaluation;
using Wafer.Models.Inference;
using Wafer.Models.Tokenization;

namespace Wafer.Models.Tests.Evaluation;

/// <summary>Settings compared with a reference on one text (the embedded model, so no fixtures are needed): the reference
/// against itself has zero divergence and llama-perplexity's perplexity; a rounded KV cache diverges a little; KL itself is
/// checked on distributions worked by hand.</summary>
public sealed class DistributionComparisonTests
{
    private static (TransformerModel Model, List<int> Tokens, int Bos) Load(WorkerPool pool)
    {
        var model = TransformerModel.Load(Repository.DefaultModel, pool);
        var tokenizer = Tokenizer.FromMetadata(model.File.Metadata, "stories260K-Q8_0.gguf");
        string text = File.ReadAllText(Path.Combine(Repository.Root, "README.md"))[..6000];
        return (model, [.. tokenizer.Encode(text, addSpecial: true, parseSpecial: false)], tokenizer.BosTokenId);
    }

    [Fact]
    public void Compute_ReferenceItselfAndF16Kv_ZeroThenSmallDivergence_PerplexityAsLlamaPerplexity()
    {
        using var pool = new WorkerPool(2);
        var (model, tokens, bos) = Load(pool);
        using (model)
        {
            var rows = DistributionComparison.Compute(
                [new("ref", model, KvType.F32, KvType.F32), new("same", model, KvType.F32, KvType.F32), new("f16", model, KvType.F16, KvType.F16)],
                tokens, 64, bos, maxChunks: 4);
            var perplexity = Perplexity.Compute(model, tokens[..(4 * 64)], 64, bos);

            Assert.Equal(perplexity.FinalPerplexity, rows[0].Perplexity, 1e-9);
            Assert.Equal(4 * 31, rows[0].ScoredTokens);
            foreach (var row in rows.Take(2))
            {
                Assert.Equal(0, row.MeanKl);
                Assert.Equal(0, row.MaxKl);
                Assert.Equal(1, row.Top1Agreement);
            }
            Assert.InRange(rows[2].MeanKl, 1e-9, 1e-2);
            Assert.True(rows[2].P99Kl >= rows[2].MedianKl && rows[2].MaxKl >= rows[2].P99Kl);
            Assert.InRange(rows[2].Top1Agreement, 0.9, 1);
        }
    }

    [Fact]
    public void KlDivergence_WorkedExample_MatchesByHand()
    {
        float[] p = [MathF.Log(0.5f), MathF.Log(0.5f)], q = [MathF.Log(0.9f), MathF.Log(0.1f)];
        // 0.5·ln(0.5/0.9) + 0.5·ln(0.5/0.1)
        Assert.Equal(0.5 * Math.Log(0.5 / 0.9) + 0.5 * Math.Log(5), DistributionComparison.KlDivergence(p, q), 1e-6);
        Assert.Equal(0, DistributionComparison.KlDivergence(p, p));
    }

    [Fact]
    public void Compute_TextShorterThanOneChunk_SaysHowToFixIt()
    {
        using var pool = new WorkerPool(1);
        var (model, tokens, bos) = Load(pool);
        using (model)
        {
            var e = Assert.Throws<ArgumentException>(() => DistributionComparison.Compute([new("ref", model, KvType.F32, KvType.F32)], tokens[..40], 64, bos, 4));
            Assert.Contains("fewer than one chunk of 64", e.Message);
        }
    }
}
