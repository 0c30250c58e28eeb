using Wafer.Engine.Execution;
using Wafer.Engine.Requests;

namespace Wafer.Engine.Tests.Execution;

public class FinishRulesTests
{
    private const int Eos = 2;
    private static readonly FinishRules Rules = new(t => t == Eos, contextLength: 10);

    private static EngineRequest Request(int prompt = 3, int maxTokens = 4, bool ignoreEos = false, int[]? stopTokens = null) =>
        new(1, new GenerationRequest { PromptTokens = Enumerable.Range(10, prompt).ToArray(), MaxTokens = maxTokens, IgnoreEndOfGeneration = ignoreEos, StopTokens = stopTokens ?? [] }, 1);

    [Fact]
    public void IsEndToken_EosOrStopToken_TrueUnlessEosIgnored()
    {
        Assert.True(Rules.IsEndToken(Request(), Eos));
        Assert.False(Rules.IsEndToken(Request(ignoreEos: true), Eos));
        Assert.True(Rules.IsEndToken(Request(ignoreEos: true, stopTokens: [7]), 7));
        Assert.False(Rules.IsEndToken(Request(), 5));
    }

    [Fact]
    public void Decide_EndTokenOnTheLastAllowedToken_StopBeatsLength()
    {
        var r = Request(maxTokens: 1);
        r.Append(Eos);
        Assert.Equal(FinishReason.Stop, Rules.Decide(r, endToken: true, stopStringMatched: false));
    }

    [Fact]
    public void Decide_StopStringMatched_Stop()
    {
        var r = Request();
        r.Append(5);
        Assert.Equal(FinishReason.Stop, Rules.Decide(r, endToken: false, stopStringMatched: true));
    }

    [Fact]
    public void Decide_MaxTokensReached_LengthOnlyThen()
    {
        var r = Request(maxTokens: 2);
        r.Append(5);
        Assert.Null(Rules.Decide(r, false, false));
        r.Append(5);
        Assert.Equal(FinishReason.Length, Rules.Decide(r, false, false));
    }

    [Fact]
    public void Decide_ContextFull_ContextLength()
    {
        var r = Request(prompt: 8, maxTokens: 100);
        r.Append(5);
        Assert.Null(Rules.Decide(r, false, false));
        r.Append(5);
        Assert.Equal(FinishReason.ContextLength, Rules.Decide(r, false, false));
    }
}
