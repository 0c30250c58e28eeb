using Wafer.Engine.Execution;
using Wafer.Engine.Tests.Support;

namespace Wafer.Engine.Tests.Execution;

/// <summary>Stop strings over streamed text. The tiny model's token i reads "t{i}", so texts are known exactly.</summary>
public class OutputTextTests : IAsyncLifetime
{
    private TinyEngine _tiny = null!;

    public ValueTask InitializeAsync()
    {
        _tiny = new TinyEngine();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _tiny.DisposeAsync();

    private OutputText Text(params string[] stops) => new(_tiny.Tokenizer, stops);

    private static int T(int i) => i; // token id i decodes to "t{i}"

    [Fact]
    public void Append_NoStopStrings_ReleasesEachTokenAtOnce()
    {
        var text = Text();
        Assert.Equal("t5", text.Append(T(5), silent: false));
        Assert.Equal("t6", text.Append(T(6), silent: false));
        Assert.Equal("", text.Finish());
        Assert.False(text.Stopped);
    }

    [Fact]
    public void Append_StopStringAcrossTokens_CutsBeforeItAndStops()
    {
        var text = Text("6t7");
        Assert.Equal("t5", text.Append(T(5), false));
        Assert.Equal("t", text.Append(T(6), false)); // "t6" could begin "6t7"? no: "t6" ends with "6", a prefix of it
        Assert.Equal("", text.Append(T(7), false));
        Assert.True(text.Stopped);
        Assert.Equal("", text.Append(T(8), false));
        Assert.Equal("", text.Finish());
    }

    [Fact]
    public void Append_PossibleStopThatDoesNotComplete_HeldBackThenReleased()
    {
        var text = Text("t1t2");
        Assert.Equal("", text.Append(T(1), false));
        Assert.Equal("t1t3", text.Append(T(3), false));
        Assert.False(text.Stopped);
    }

    [Fact]
    public void Finish_HeldBackTail_Released()
    {
        var text = Text("t1t2");
        Assert.Equal("t5", text.Append(T(5), false));
        Assert.Equal("", text.Append(T(1), false));
        Assert.Equal("t1", text.Finish());
    }

    [Fact]
    public void Append_SeveralStops_EarliestMatchWins()
    {
        var text = Text("t9", "t7");
        string shown = text.Append(T(5), false) + text.Append(T(7), false) + text.Append(T(9), false);
        Assert.Equal("t5", shown);
        Assert.True(text.Stopped);
    }

    [Fact]
    public void Append_Silent_TokenTextNotShown()
    {
        var text = Text();
        Assert.Equal("t4", text.Append(T(4), false));
        Assert.Equal("", text.Append(T(2), silent: true));
        Assert.Equal("", text.Finish());
    }

    [Fact]
    public void Append_StopInsideOneToken_CutsInsideIt()
    {
        var text = Text("3");
        Assert.Equal("t12t", text.Append(T(12), false) + text.Append(T(34), false));
        Assert.True(text.Stopped);
    }
}
