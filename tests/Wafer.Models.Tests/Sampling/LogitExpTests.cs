using Wafer.Models.Sampling;

namespace Wafer.Models.Tests.Sampling;

public class LogitExpTests
{
    [Fact]
    public void ExpSums_EveryLength0To256AndSeveralBlocks_MatchesScalarTwinBitForBit()
    {
        var random = new Random(21);
        var lengths = Enumerable.Range(0, 257).Concat([511, 512, 513, 1000, 4097]);
        foreach (int n in lengths)
        {
            var logits = SamplingTestData.AnyLogits(random, n);
            foreach (float divisor in new[] { 1f, 0.8f })
            {
                float max = n == 0 ? 0 : logits.Max() / divisor;
                var fastExps = new float[n];
                var scalarExps = new float[n];
                var fastBlocks = new double[LogitExp.BlockCount(n)];
                var scalarBlocks = new double[LogitExp.BlockCount(n)];
                double fast = LogitExp.ExpSums(logits, divisor, max, fastExps, fastBlocks);
                double scalar = LogitExp.ExpSumsScalar(logits, divisor, max, scalarExps, scalarBlocks);
                Assert.Equal(scalar, fast);
                Assert.Equal(scalarExps, fastExps);
                Assert.Equal(scalarBlocks, fastBlocks);
                Assert.Equal(fast, LogitExp.ExpSums(logits, divisor, max, [], fastBlocks));
                double exact = logits.Sum(l => Math.Exp(l / divisor - max));
                Assert.Equal(exact, fast, Math.Max(exact, 1) * 1e-6);
            }
        }
    }

    [Fact]
    public void Find_Targets_FirstTokenWhoseRunningSumExceedsThem()
    {
        var exps = new float[600];
        exps[3] = 1;
        exps[300] = 2;
        exps[599] = 1;
        double[] blocks = [1, 2, 1]; // 256-token blocks
        Assert.Equal(3, LogitExp.Find(exps, blocks, 0));
        Assert.Equal(3, LogitExp.Find(exps, blocks, 0.999));
        Assert.Equal(300, LogitExp.Find(exps, blocks, 1));
        Assert.Equal(300, LogitExp.Find(exps, blocks, 2.5));
        Assert.Equal(599, LogitExp.Find(exps, blocks, 3.5));
        Assert.Equal(599, LogitExp.Find(exps, blocks, 4)); // rounding past the total: the last token with weight
    }
}
