using Wafer.Models.Sampling;

namespace Wafer.Models.Tests.Sampling;

public class LogitSelectionTests
{
    private static (int, float)[] Pairs(ReadOnlySpan<TokenCandidate> candidates) => candidates.ToArray().Select(c => (c.Id, c.Logit)).ToArray();

    // What the reference path keeps: the whole vocabulary sorted by TokenCandidates.Sort, then the first k.
    private static (int, float)[] FullSortTopK(float[] logits, int k)
    {
        var candidates = new TokenCandidates();
        candidates.Reset(logits);
        candidates.Sort();
        return Pairs(candidates.Items[..Math.Min(k, logits.Length)]);
    }

    [Fact]
    public void TopK_EveryLength0To256_MatchesScalarTwinAndFullSort()
    {
        var random = new Random(11);
        for (int n = 0; n <= 256; n++)
        {
            var logits = SamplingTestData.AnyLogits(random, n);
            foreach (int k in new[] { 0, 1, 3, 8, 40, n / 2, n, n + 5 })
            {
                var fast = new TokenCandidate[Math.Max(k, 0)];
                var scalar = new TokenCandidate[Math.Max(k, 0)];
                int count = LogitSelection.TopK(logits, k, fast);
                Assert.Equal(count, LogitSelection.TopKScalar(logits, k, scalar));
                Assert.Equal(Pairs(scalar.AsSpan(0, count)), Pairs(fast.AsSpan(0, count)));
                Assert.Equal(FullSortTopK(logits, k), Pairs(fast.AsSpan(0, count)));
            }
        }
    }

    [Fact]
    public void TopK_LargeVocabularyWithTies_MatchesFullSort()
    {
        var random = new Random(12);
        foreach (int n in new[] { 49152, 49153 })
        {
            var logits = SamplingTestData.Logits(random, n, ties: true, negativeInfinity: true);
            var fast = new TokenCandidate[40];
            int count = LogitSelection.TopK(logits, 40, fast);
            Assert.Equal(FullSortTopK(logits, 40), Pairs(fast.AsSpan(0, count)));
        }
    }

    [Fact]
    public void AtLeast_EveryLength0To256_MatchesScalarTwin()
    {
        var random = new Random(13);
        for (int n = 0; n <= 256; n++)
        {
            var logits = SamplingTestData.AnyLogits(random, n);
            foreach (float threshold in new[] { float.NegativeInfinity, -1f, 0f, 2f, 100f })
            foreach (int capacity in new[] { 0, 5, n })
            {
                var fast = new TokenCandidate[capacity];
                var scalar = new TokenCandidate[capacity];
                int count = LogitSelection.AtLeast(logits, threshold, fast);
                Assert.Equal(logits.Count(l => l >= threshold), count);
                Assert.Equal(count, LogitSelection.AtLeastScalar(logits, threshold, scalar));
                Assert.Equal(Pairs(scalar), Pairs(fast));
            }
        }
    }

    [Fact]
    public void ArgMax_EveryLength0To256_MatchesScalarTwinLowestIdOnTies()
    {
        var random = new Random(14);
        for (int n = 0; n <= 256; n++)
        {
            var logits = SamplingTestData.AnyLogits(random, n);
            int expected = n == 0 ? 0 : Array.IndexOf(logits, logits.Max());
            Assert.Equal(expected, LogitSelection.ArgMaxScalar(logits));
            Assert.Equal(expected, LogitSelection.ArgMax(logits));
        }
        Assert.Equal(3, LogitSelection.ArgMax([-1f, -0f, 0f, 5f, 5f, 1, 1, 1, 1, 5f]));
        Assert.Equal(0, LogitSelection.ArgMax([float.NegativeInfinity, float.NegativeInfinity]));
    }
}
