using Wafer.Models.Constraints;

namespace Wafer.Models.Tests.Constraints;

/// <summary>A grammar behind a thinking model's reasoning block: the reasoning is free (anything but the closing tag), the
/// answer after the first <c>&lt;/think&gt;</c> follows the grammar.</summary>
public class AfterThinkingTests
{
    private static readonly Grammar Json = Grammar.Parse(JsonGrammars.Object);

    [Theory]
    [InlineData("{\"a\": 1}", true)]                                            // no thinking at all
    [InlineData("<think>I should answer {x}.</think>\n\n{\"a\": 1}", true)]
    [InlineData("<think>a < b, </t, </thin, <</think>{\"a\": 1}", true)]       // near misses of the tag inside
    [InlineData("<think></think>{}", true)]
    [InlineData("<think>done</think>\nfree text", false)]                       // the answer must follow the grammar
    [InlineData("<think>one</think> two</think>{}", false)]                     // the first </think> closes the block
    [InlineData("<think>never closed {}", false)]
    [InlineData("free {}", false)]
    public void Outside_BlockOptional(string text, bool accepted) =>
        Assert.Equal(accepted, Json.AfterThinking(startsInside: false).Accepts(text));

    [Theory]
    [InlineData("The user wants JSON.</think>\n\n{\"a\": 1}", true)]
    [InlineData("{\"a\": 1}", false)]                      // the prompt opened the block: it must be closed first
    [InlineData("x</think>{\"a\": [1, 2]}", true)]
    [InlineData("x</think>{\"a\": [1, 2]} trailing", false)]
    public void Inside_BlockOpenedByThePrompt(string text, bool accepted) =>
        Assert.Equal(accepted, Json.AfterThinking(startsInside: true).Accepts(text));

    [Fact]
    public void Prefixes_ReasoningNeverStuck()
    {
        var grammar = Json.AfterThinking(startsInside: false);
        Assert.True(grammar.IsPrefix("<think>anything at all, even </thin"));
        Assert.False(grammar.IsPrefix("<think>x</think>y"));
        Assert.Equal("wafer-think-root", grammar.Start);
    }
}
