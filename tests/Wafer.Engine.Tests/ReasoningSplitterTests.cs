using Wafer.Engine.Chat;

namespace Wafer.Engine.Tests;

public class ReasoningSplitterTests
{
    private static (string Reasoning, string Content) Run(bool inside, params string[] pieces)
    {
        var splitter = new ReasoningSplitter(inside);
        string r = "", c = "";
        foreach (var p in pieces)
        {
            var (pr, pc) = splitter.Push(p);
            r += pr;
            c += pc;
        }
        var (fr, fc) = splitter.Flush();
        return (r + fr, c + fc);
    }

    [Theory]
    [InlineData(false, "<think>plan</think>\n\nAnswer.", "plan", "Answer.")]
    [InlineData(false, "Just an answer.", "", "Just an answer.")]
    [InlineData(true, "plan</think>Answer", "plan", "Answer")]
    [InlineData(false, "<think>a</think>b<think>c</think>", "a", "b<think>c</think>")]
    [InlineData(true, "still thinking when cut", "still thinking when cut", "")]
    public void Whole_SplitsTheFirstBlock(bool inside, string text, string reasoning, string content) =>
        Assert.Equal((reasoning, content), Run(inside, text));

    [Fact]
    public void TagsSplitAcrossPieces_HeldBackUntilWhole()
    {
        Assert.Equal(("plan", "Answer."), Run(false, "<th", "ink>pl", "an</th", "ink>", "\n", "Answer."));
        Assert.Equal(("a < b", "ok"), Run(true, "a <", " b</", "think>ok"));
        Assert.Equal(("", "<thanks"), Run(false, "<th", "anks"));
    }
}
