using System.Text;
using Wafer.Cli.Benchmarking;

namespace Wafer.Cli.Tests.Benchmarking;

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
}
