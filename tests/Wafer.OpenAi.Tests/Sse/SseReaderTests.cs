using System.Text;
using Wafer.OpenAi.Sse;
using Wafer.OpenAi.Tests.Support;

namespace Wafer.OpenAi.Tests.Sse;

public class SseReaderTests
{
    private static async Task<List<string>> ReadAll(string text)
    {
        using var reader = new SseReader(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        var events = new List<string>();
        while (await reader.ReadEventAsync(TestContext.Current.CancellationToken) is string data) events.Add(data);
        return events;
    }

    [Fact]
    public async Task ReadEvent_DataLinesAndDone_PayloadsUntilDone() =>
        Assert.Equal(["{\"a\":1}", "{\"b\":2}"], await ReadAll("data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\ndata: {\"c\":3}\n\n"));

    [Fact]
    public async Task ReadEvent_CommentsOtherFieldsAndCrLf_Skipped() =>
        Assert.Equal(["x", "y"], await ReadAll(": keep-alive\r\n\r\nevent: message\r\nid: 1\r\ndata:x\r\n\r\nretry: 5\r\ndata: y\r\n\r\n"));

    [Fact]
    public async Task ReadEvent_MultiLineData_JoinedWithNewline() =>
        Assert.Equal(["one\ntwo"], await ReadAll("data: one\ndata: two\n\n"));

    [Fact]
    public async Task ReadEvent_StreamEndsWithoutBlankLine_LastEventKept() =>
        Assert.Equal(["a", "b"], await ReadAll("data: a\n\ndata: b"));

    [Fact]
    public async Task ReadEvent_EmptyStream_Nothing() => Assert.Empty(await ReadAll(""));
    [Fact]
    public async Task ReadEvent_CrLfMultiLineData_JoinedWithNewline() =>
        Assert.Equal(["one\ntwo", "three"], await ReadAll("data: one\r\ndata: two\r\n\r\ndata: three\r\n\r\n"));

    [Fact]
    public async Task ReadEvent_LoneCarriageReturns_EndLines() =>
        Assert.Equal(["a", "b"], await ReadAll("data: a\r\rdata: b\r\r"));

    [Fact]
    public async Task ReadEvent_ByteOrderMarkAndEmptyData_MarkDroppedEmptyEventKept() =>
        Assert.Equal(["x", ""], await ReadAll("\uFEFFdata: x\n\ndata:\n\n"));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task ReadEvent_ReadsSplitAnywhere_SameEvents(int maxRead)
    {
        const string text = ": ping\r\n\r\ndata: {\"t\":\"héllo ✓ 🙂\"}\r\n\r\ndata: a\ndata: b\n\ndata: [DONE]\r\n\r\n";
        using var reader = new SseReader(new TrickleStream(Encoding.UTF8.GetBytes(text), maxRead), bufferBytes: 16);
        var events = new List<string>();
        while (await reader.ReadEventAsync(TestContext.Current.CancellationToken) is string data) events.Add(data);

        Assert.Equal(["{\"t\":\"héllo ✓ 🙂\"}", "a\nb"], events);
        Assert.True(reader.SawDone);
    }

    [Fact]
    public async Task ReadEvent_LineLongerThanBuffer_ReadWhole()
    {
        string payload = new('x', 10_000);
        Assert.Equal([payload], await ReadAll("data: " + payload + "\n\n"));
    }

    [Fact]
    public async Task ReadEvent_StreamWithoutDone_SawDoneFalse()
    {
        using var reader = new SseReader(new MemoryStream(Encoding.UTF8.GetBytes("data: a\n\n")));
        Assert.Equal("a", await reader.ReadEventAsync(TestContext.Current.CancellationToken));
        Assert.Null(await reader.ReadEventAsync(TestContext.Current.CancellationToken));
        Assert.False(reader.SawDone);
    }

    [Fact]
    public async Task ReadEvent_InvalidUtf8InData_SseFormatExceptionNamingTheByte()
    {
        byte[] bytes = [.. "data: ok\n\ndata: {\"t\":\""u8, 0xC3, 0x28, .. "\"}\n\n"u8];
        using var reader = new SseReader(new MemoryStream(bytes));
        Assert.Equal("ok", await reader.ReadEventAsync(TestContext.Current.CancellationToken));

        var e = await Assert.ThrowsAsync<SseFormatException>(async () => await reader.ReadEventAsync(TestContext.Current.CancellationToken));

        Assert.Contains("not valid UTF-8", e.Message, StringComparison.Ordinal);
        Assert.Contains("0xC3 at offset 6", e.Message, StringComparison.Ordinal);
    }
}
