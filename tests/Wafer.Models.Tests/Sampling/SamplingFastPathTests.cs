using Wafer.Models.Sampling;

namespace Wafer.Models.Tests.Sampling;

/// <summary>The fast path of <see cref="SamplerChain.Create"/> against <see cref="SamplerChain.CreateReference"/>, the full-sort chain.</summary>
public class SamplingFastPathTests
{
    private static readonly Dictionary<int, float> Bias = new() { [0] = 5, [7] = -100, [42] = 2.5f, [1_000_000] = 1 };

    private static SamplingOptions Options(string chain) => chain switch
    {
        "greedy" => SamplingOptions.Greedy,
        "greedy-penalties" => SamplingOptions.Greedy with { RepetitionPenalty = 1.3f, FrequencyPenalty = 0.5f, PresencePenalty = 0.25f },
        "default" => new SamplingOptions(),
        "default-penalties-bias" => new SamplingOptions { RepetitionPenalty = 1.3f, FrequencyPenalty = 0.5f, PresencePenalty = 0.25f, LogitBias = Bias },
        "top-k-only" => new SamplingOptions { TopK = 5, TopP = 1, MinP = 0, Temperature = 1 },
        "top-k-top-p" => new SamplingOptions { TopK = 100, TopP = 0.5f, MinP = 0, Temperature = 1.2f },
        "k-over-vocabulary" => new SamplingOptions { TopK = 1_000_000 },
        "min-p-only" => new SamplingOptions { TopK = 0, TopP = 1, MinP = 0.05f },
        "top-p-only" => new SamplingOptions { TopK = 0, TopP = 0.95f, MinP = 0 },
        "top-p-min-p" => new SamplingOptions { TopK = 0, TopP = 0.9f, MinP = 0.02f },
        "temperature-only" => new SamplingOptions { TopK = 0, TopP = 1, MinP = 0 },
        _ => throw new ArgumentException(chain),
    };

    // Chains whose fast path does the reference's arithmetic on the reference's candidates, in its order.
    public static TheoryData<string> ExactChains => ["greedy", "greedy-penalties", "default", "default-penalties-bias", "top-k-only", "top-k-top-p", "min-p-only"];

    // Chains where a normaliser or the draw is summed in another order (and with the vectorised exp).
    public static TheoryData<string> RoundedChains => ["top-p-only", "top-p-min-p", "k-over-vocabulary", "temperature-only"];

    private static (int Same, int Total) Compare(string chain, IEnumerable<float[]> vectors)
    {
        var options = Options(chain) with { Seed = 1234 };
        var fast = SamplerChain.Create(options);
        var reference = SamplerChain.CreateReference(options);
        int[] prompt = [0, 1, 2, 3, 3, 42, 5, 5, 5, 17];
        foreach (int t in prompt)
        {
            fast.Accept(t);
            reference.Accept(t);
        }
        int same = 0, total = 0;
        foreach (var logits in vectors)
        {
            var expected = reference.Sample(logits);
            if (fast.Sample(logits) == expected) same++;
            total++;
        }
        return (same, total);
    }

    private static IEnumerable<float[]> SmallVectors(int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < 600; i++) yield return SamplingTestData.AnyLogits(random, 1 + random.Next(300));
    }

    private static IEnumerable<float[]> VocabularyVectors(int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < 6; i++) yield return SamplingTestData.Logits(random, 49152, spread: 1.5f, ties: i % 2 == 1, negativeInfinity: i % 3 == 0, peaked: i < 4);
    }

    [Theory]
    [MemberData(nameof(ExactChains))]
    public void Sample_ExactChainSmallVocabularies_SameSeedSameTokens(string chain)
    {
        var (same, total) = Compare(chain, SmallVectors(31));
        Assert.Equal(total, same);
    }

    [Theory]
    [MemberData(nameof(ExactChains))]
    public void Sample_ExactChain49152_SameSeedSameTokens(string chain)
    {
        var (same, total) = Compare(chain, VocabularyVectors(32));
        Assert.Equal(total, same);
    }

    [Theory]
    [MemberData(nameof(RoundedChains))]
    public void Sample_RoundedChain_AgreesOnAlmostEveryToken(string chain)
    {
        // Rounding moves a boundary of the draw by ~1e-7 of the mass, so a disagreement needs a draw that close to one.
        var (same, total) = Compare(chain, SmallVectors(33).Concat(VocabularyVectors(34)));
        Assert.True(same >= total * 0.99, $"{chain}: {same} of {total} tokens agree");
    }

    [Theory]
    [InlineData("default")]
    [InlineData("top-p-only")]
    [InlineData("top-p-min-p")]
    [InlineData("temperature-only")]
    public void Sample_ManyDraws_FollowTheReferenceDistribution(string chain)
    {
        var logits = SamplingTestData.Logits(new Random(41), 200, spread: 1.5f, peaked: false);
        var probabilities = ReferenceProbabilities(chain, logits);
        var sampler = SamplerChain.Create(Options(chain) with { Seed = 42 });
        const int Draws = 40_000;
        var counts = new int[logits.Length];
        for (int i = 0; i < Draws; i++) counts[sampler.Sample(logits)]++;
        // Pearson's χ² over the tokens the reference expects ≥ 5 times (the rest pooled); the bound is the mean df plus
        // six standard deviations √(2·df): generous for sampling noise, far below what a wrong distribution gives.
        double chiSquare = 0, pooledExpected = 0, pooledObserved = 0;
        int bins = 0;
        for (int t = 0; t < logits.Length; t++)
        {
            double expected = probabilities[t] * Draws;
            if (expected < 5)
            {
                pooledExpected += expected;
                pooledObserved += counts[t];
                continue;
            }
            chiSquare += (counts[t] - expected) * (counts[t] - expected) / expected;
            bins++;
        }
        if (pooledExpected >= 5)
        {
            chiSquare += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / pooledExpected;
            bins++;
        }
        else
        {
            Assert.True(pooledObserved <= 10, $"{pooledObserved} draws of tokens the reference almost never draws");
        }
        int df = bins - 1;
        Assert.True(df >= 1, "the test vector should spread the draws over several tokens");
        Assert.True(chiSquare < df + 6 * Math.Sqrt(2.0 * df), $"{chain}: χ² = {chiSquare:F1} over {df} degrees of freedom");
    }

    // The distribution the reference chain draws from: its samplers up to dist, then the softmax of the survivors.
    private static double[] ReferenceProbabilities(string chain, float[] logits)
    {
        var samplers = SamplerChain.CreateReference(Options(chain) with { Seed = 1 }).Samplers;
        var candidates = new TokenCandidates();
        candidates.Reset(logits);
        foreach (var s in samplers.Where(s => s is not DistributionSampler)) s.Apply(candidates);
        var items = candidates.Items.ToArray();
        double max = items.Max(c => (double)c.Logit), sum = items.Sum(c => Math.Exp(c.Logit - max));
        var probabilities = new double[logits.Length];
        foreach (var c in items) probabilities[c.Id] = Math.Exp(c.Logit - max) / sum;
        return probabilities;
    }

    [Theory]
    [InlineData("greedy", 49152)]
    [InlineData("default", 49152)]
    [InlineData("default", 151936)]
    [InlineData("default-penalties-bias", 151936)]
    [InlineData("top-p-only", 151936)]
    [InlineData("min-p-only", 49152)]
    [InlineData("temperature-only", 151936)]
    public void Sample_SteadyState_AllocatesNothing(string chain, int vocabulary)
    {
        var logits = SamplingTestData.Logits(new Random(51), vocabulary, spread: 1.5f, peaked: true);
        var sampler = SamplerChain.Create(Options(chain) with { Seed = 52 });
        for (int i = 0; i < 200; i++) sampler.Sample(logits);
        // The fewest bytes of three rounds of 100 tokens: a per-token allocation shows in every round, while a one-off of the
        // runtime's (a tiered-JIT transition landing in a round) does not fail the test.
        long fewest = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++) sampler.Sample(logits);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, fewest);
    }

    [Fact]
    public void Sample_EmptyLogits_Throws()
    {
        Assert.Throws<ArgumentException>(() => SamplerChain.Create(new SamplingOptions()).Sample([]));
        Assert.Throws<ArgumentException>(() => SamplerChain.CreateReference(SamplingOptions.Greedy).Sample([]));
    }

    [Fact]
    public void Sample_LogitBiasAndPenalties_LeaveTheCallersLogitsAlone()
    {
        var logits = SamplingTestData.Logits(new Random(61), 1000);
        var copy = logits.ToArray();
        var sampler = SamplerChain.Create(Options("default-penalties-bias") with { Seed = 62 });
        for (int i = 0; i < 20; i++) sampler.Sample(logits);
        Assert.Equal(copy, logits);
    }
}
