using Wafer.Models;
using Wafer.Models.Sampling;

namespace Wafer.Models.Tests.Sampling;

public class SamplerChainTests
{
    private static readonly float[] Logits = [1.0f, 3.0f, 2.0f, 3.0f, -1.0f, 0.5f];

    private static int[] Survivors(ISampler sampler, float[] logits)
    {
        var candidates = new TokenCandidates();
        candidates.Reset(logits);
        sampler.Apply(candidates);
        return candidates.Items.ToArray().Select(c => c.Id).Order().ToArray();
    }

    [Fact]
    public void Greedy_Ties_PicksLowestId()
    {
        Assert.Equal(1, SamplerChain.Create(SamplingOptions.Greedy).Sample(Logits));
    }

    [Fact]
    public void TopK_Two_KeepsTwoBest()
    {
        Assert.Equal([1, 3], Survivors(new TopKSampler(2), Logits));
    }

    [Fact]
    public void TopK_Zero_KeepsAll()
    {
        Assert.Equal(6, Survivors(new TopKSampler(0), Logits).Length);
    }

    [Fact]
    public void TopP_Small_KeepsOnlyMostLikely()
    {
        Assert.Equal([1], Survivors(new TopPSampler(0.1f), Logits));
    }

    [Fact]
    public void TopP_Covering_KeepsTheNucleus()
    {
        // probabilities ∝ e^3, e^3, e^2, e^1, ... : the two e^3 tokens hold ≈ 0.66
        Assert.Equal([1, 2, 3], Survivors(new TopPSampler(0.8f), Logits));
    }

    [Fact]
    public void MinP_Half_DropsTokensBelowHalfOfTop()
    {
        // e^2 / e^3 = 0.37 < 0.5 → dropped
        Assert.Equal([1, 3], Survivors(new MinPSampler(0.5f), Logits));
    }

    [Fact]
    public void RepetitionPenalty_SeenTokens_ArePenalised()
    {
        var penalty = new RepetitionPenaltySampler(2.0f);
        penalty.Accept(1);
        penalty.Accept(4);
        var candidates = new TokenCandidates();
        candidates.Reset(Logits);
        penalty.Apply(candidates);
        Assert.Equal(1.5f, candidates.Items[1].Logit);
        Assert.Equal(-2.0f, candidates.Items[4].Logit);
        Assert.Equal(3.0f, candidates.Items[3].Logit);
    }

    [Fact]
    public void Sample_SameSeed_SameTokens()
    {
        var options = new SamplingOptions { Temperature = 1.5f, TopK = 0, TopP = 1, MinP = 0, Seed = 42 };
        int[] Draw()
        {
            var chain = SamplerChain.Create(options);
            return Enumerable.Range(0, 50).Select(_ => chain.Sample(Logits)).ToArray();
        }
        var first = Draw();
        Assert.Equal(first, Draw());
        Assert.True(first.Distinct().Count() > 2, "a hot temperature should visit several tokens");
    }

    [Fact]
    public void Sample_HighTemperature_FollowsTheDistribution()
    {
        var chain = SamplerChain.Create(new SamplingOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = 7 });
        var counts = new int[2];
        for (int i = 0; i < 4000; i++) counts[chain.Sample([0f, MathF.Log(3)])]++;
        double share = counts[1] / 4000.0;
        Assert.InRange(share, 0.72, 0.78); // expected 0.75
    }

    [Theory]
    [InlineData(-1f, 40, 0.9f, 0.05f, "temperature", "temperature")]
    [InlineData(1f, -1, 0.9f, 0.05f, "top-k", "top_k")]
    [InlineData(1f, 40, 0f, 0.05f, "top-p", "top_p")]
    [InlineData(1f, 40, 0.9f, 2f, "min-p", "min_p")]
    public void Validate_BadParameter_NamesIt(float temperature, int topK, float topP, float minP, string name, string parameter)
    {
        var e = Assert.Throws<InvalidParameterException>(() => new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP }.Validate());
        Assert.Contains(name, e.Message);
        Assert.Equal(parameter, e.Parameter);
    }

    [Theory]
    [InlineData("frequency_penalty")]
    [InlineData("presence_penalty")]
    [InlineData("repetition_penalty")]
    [InlineData("repeat_last_n")]
    [InlineData("logit_bias")]
    public void Validate_BadPenaltyOrBias_NamesIt(string parameter)
    {
        var options = parameter switch
        {
            "frequency_penalty" => new SamplingOptions { FrequencyPenalty = 2.5f },
            "presence_penalty" => new SamplingOptions { PresencePenalty = float.NaN },
            "repetition_penalty" => new SamplingOptions { RepetitionPenalty = float.PositiveInfinity },
            "repeat_last_n" => new SamplingOptions { RepetitionWindow = -1 },
            _ => new SamplingOptions { LogitBias = new Dictionary<int, float> { [3] = float.NaN } },
        };
        Assert.Equal(parameter, Assert.Throws<InvalidParameterException>(() => options.Validate()).Parameter);
    }

    [Fact]
    public void Defaults_AreLlamaCpps()
    {
        var options = new SamplingOptions();
        Assert.Equal((0.8f, 40, 0.95f, 0.05f, 1.0f, 64), (options.Temperature, options.TopK, options.TopP, options.MinP, options.RepetitionPenalty, options.RepetitionWindow));
        Assert.Equal((0f, 0f), (options.PresencePenalty, options.FrequencyPenalty));
    }
}
