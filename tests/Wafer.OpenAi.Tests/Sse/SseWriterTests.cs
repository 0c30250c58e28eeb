using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.OpenAi.Errors;
using Wafer.OpenAi.Sse;

namespace Wafer.OpenAi.Tests.Sse;

public class SseWriterTests
{
    private static (DefaultHttpContext Http, MemoryStream Body) Context()
    {
        var body = new MemoryStream();
        var http = new DefaultHttpContext();
        http.Response.Body = body;
        return (http, body);
    }

    [Fact]
    public async Task WriteAsync_EventsThenDone_ReaderReadsThemBack()
    {
        var (http, body) = Context();
        var sse = new SseWriter(http.Response);
        var ct = TestContext.Current.CancellationToken;

        await sse.WriteAsync(w => { w.WriteStartObject(); w.WriteString("text", "héllo\nworld"); w.WriteEndObject(); }, ct);
        await sse.WriteAsync(w => { w.WriteStartObject(); w.WriteNumber("n", 2); w.WriteEndObject(); }, ct);
        await sse.DoneAsync(ct);

        Assert.Equal("text/event-stream", http.Response.ContentType);
        Assert.Equal("no-cache", http.Response.Headers.CacheControl.ToString());
        Assert.Equal("data: {\"text\":\"héllo\\nworld\"}\n\ndata: {\"n\":2}\n\ndata: [DONE]\n\n", Encoding.UTF8.GetString(body.ToArray()));
        using var reader = new SseReader(new MemoryStream(body.ToArray()));
        Assert.Equal("{\"text\":\"héllo\\nworld\"}", await reader.ReadEventAsync(ct));
        Assert.Equal("{\"n\":2}", await reader.ReadEventAsync(ct));
        Assert.Null(await reader.ReadEventAsync(ct));
        Assert.True(reader.SawDone);
    }

    [Fact]
    public async Task ErrorAsync_MidStream_OpenAiErrorEvent()
    {
        var (http, body) = Context();
        var sse = new SseWriter(http.Response);

        await sse.ErrorAsync("the engine stopped", "server_error", null, TestContext.Current.CancellationToken);

        Assert.Equal("data: {\"error\":{\"message\":\"the engine stopped\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n",
            Encoding.UTF8.GetString(body.ToArray()));
        using var reader = new SseReader(new MemoryStream(body.ToArray()));
        string data = (await reader.ReadEventAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal(new OpenAiError("the engine stopped", "server_error"), OpenAiError.TryParse(Encoding.UTF8.GetBytes(data)));
        using var doc = JsonDocument.Parse(data);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("error").GetProperty("param").ValueKind);
    }

    [Fact]
    public async Task ErrorAsync_WithCode_CodeWritten()
    {
        var (http, body) = Context();

        await new SseWriter(http.Response).ErrorAsync("over capacity", "server_error", "overloaded", TestContext.Current.CancellationToken);

        Assert.Contains("\"code\":\"overloaded\"", Encoding.UTF8.GetString(body.ToArray()), StringComparison.Ordinal);
    }
}
