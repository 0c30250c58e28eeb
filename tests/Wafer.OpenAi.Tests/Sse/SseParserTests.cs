using System.Text;
using Wafer.OpenAi.Sse;

namespace Wafer.OpenAi.Tests.Sse;

public class SseParserTests
{
    [Fact]
    public void TryRead_IncompleteEvent_ConsumesWholeLinesOnly()
    {
        var parser = new SseParser();
        byte[] bytes = Encoding.UTF8.GetBytes("data: a\ndata: b");

        Assert.False(parser.TryRead(bytes, final: false, out int consumed));
        Assert.Equal("data: a\n".Length, consumed);
        Assert.True(parser.TryRead(Encoding.UTF8.GetBytes("data: b\n\n"), final: false, out consumed));
        Assert.Equal("a\nb", parser.GetDataText());
        Assert.Equal("data: b\n\n".Length, consumed);
    }

    [Fact]
    public void TryRead_CarriageReturnAtEndOfInput_WaitsForPossibleLineFeed()
    {
        var parser = new SseParser();

        Assert.False(parser.TryRead("data: a\r\n\r"u8, final: false, out int consumed));
        Assert.Equal("data: a\r\n".Length, consumed);
        Assert.True(parser.TryRead("\r\ndata: b\r\n\r\n"u8, final: false, out consumed));
        Assert.Equal("a", parser.GetDataText());
        Assert.Equal(2, consumed);
        Assert.True(parser.TryRead("data: b\r\n\r\n"u8, final: false, out _));
        Assert.Equal("b", parser.GetDataText());
    }

    [Fact]
    public void TryRead_DoneEvent_IsDone()
    {
        var parser = new SseParser();

        Assert.True(parser.TryRead("data: [DONE]\n\n"u8, final: false, out _));

        Assert.True(parser.IsDone);
    }

    [Fact]
    public void TryRead_CommentsAndOtherFields_NoEvent()
    {
        var parser = new SseParser();

        Assert.False(parser.TryRead(": keep-alive\n\nevent: ping\nid: 3\nretry: 10\n\n"u8, final: true, out int consumed));

        Assert.Equal(": keep-alive\n\nevent: ping\nid: 3\nretry: 10\n\n".Length, consumed);
    }

    [Fact]
    public void TryRead_FinalWithoutBlankLine_EventKept()
    {
        var parser = new SseParser();

        Assert.True(parser.TryRead("data: tail"u8, final: true, out int consumed));

        Assert.Equal("tail", parser.GetDataText());
        Assert.Equal(10, consumed);
    }
}
