using Wafer.Engine.Execution;
using Wafer.Engine.Tests.Support;
using Wafer.Models.Constraints;
using Wafer.Models.Sampling;

namespace Wafer.Engine.Tests.Execution;

/// <summary>The engine's constrained sampling: greedy checks its choice before masking, and picks exactly the token that
/// masking first would pick (penalties and bias included); sampled chains always mask first.</summary>
public class ConstrainedSamplingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Greedy_CheckFirst_SameTokensAsMaskFirst(bool penalties)
    {
        await using var tiny = new TinyEngine(byteFallback: true);
        var trie = TokenTrie.For(tiny.Tokenizer);
        var grammar = Grammar.Parse(JsonGrammars.Object);
        var options = new SamplingOptions { Temperature = 0, RepetitionPenalty = penalties ? 1.3f : 1, LogitBias = penalties ? new Dictionary<int, float> { [7] = 2f } : null };
        var fast = SamplerChain.Create(options);
        var reference = SamplerChain.Create(options);
        var fastMatcher = grammar.CreateMatcher(trie);
        var referenceMatcher = grammar.CreateMatcher(trie);
        var random = new Random(5);
        int vocab = tiny.Tokenizer.VocabularySize, checkedOnly = 0;
        for (int step = 0; step < 80 && !fastMatcher.IsDone; step++)
        {
            var row = new float[vocab];
            for (int i = 0; i < vocab; i++) row[i] = (float)(random.NextDouble() * 4);
            var copy = (float[])row.Clone();
            referenceMatcher.Apply(copy);
            int expected = reference.Sample(copy);
            bool allowedFirst = fastMatcher.Allows(fast.Choose(row)); // Choose records nothing
            int token = ModelRunner.SampleConstrained(fast, fastMatcher, row);
            Assert.Equal(expected, token);
            if (allowedFirst) checkedOnly++;
            fastMatcher.Accept(token);
            referenceMatcher.Accept(token);
            if (trie.IsEnd(token)) break;
        }
        Assert.True(checkedOnly > 0, "no step took the check-first path");
    }

    [Fact]
    public async Task Sampled_MasksFirst_OnlyAllowedTokens()
    {
        await using var tiny = new TinyEngine(byteFallback: true);
        var trie = TokenTrie.For(tiny.Tokenizer);
        var grammar = Grammar.Parse("""root ::= "t1" "t2" "t3" """);
        var sampler = SamplerChain.Create(new SamplingOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = 3 });
        var matcher = grammar.CreateMatcher(trie);
        var text = "";
        for (int step = 0; step < 10 && !matcher.IsDone; step++)
        {
            var row = new float[tiny.Tokenizer.VocabularySize];
            int token = ModelRunner.SampleConstrained(sampler, matcher, row);
            matcher.Accept(token);
            if (trie.IsEnd(token)) break;
            text += System.Text.Encoding.UTF8.GetString(trie.Piece(token));
        }
        Assert.Equal("t1t2t3", text);
    }
}
