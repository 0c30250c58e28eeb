using System.Net;
using System.Text;
using System.Text.Json;
using Wafer.Server.Tests.Support;

namespace Wafer.Server.Tests;

/// <summary>The HTTP edge is honest: refusals are plain HTTP errors before any byte, a failure mid-stream is an error event
/// (and a 500 in the metrics), bad bytes are 400. In-process over a tiny random-weight model: no fixtures needed.</summary>
public class HttpEdgeTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("error").Clone();
    }

    private static string TokenIds(int count) => "[" + string.Join(",", Enumerable.Range(0, count).Select(i => 3 + i % 30)) + "]";

    private static async Task<double> RequestsWithStatus(TinyServer server, string status)
    {
        string metrics = await server.Http.GetStringAsync("/metrics");
        double total = 0;
        foreach (var line in metrics.Split('\n'))
            if (line.StartsWith("wafer_requests_total{", StringComparison.Ordinal) && line.Contains($"status=\"{status}\""))
                total += double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return total;
    }

    [Fact]
    public async Task Completion_PromptAsLongAsTheContextNoMaxTokens_400ContextLengthExceeded()
    {
        await using var server = await TinyServer.StartAsync();
        foreach (bool stream in new[] { false, true })
        {
            using var response = await server.Http.PostAsync("/v1/completions", Json($$"""{"prompt": {{TokenIds(64)}}, "max_tokens": null, "stream": {{(stream ? "true" : "false")}}}"""));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = await ErrorOf(response);
            Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
            Assert.Equal("prompt", error.GetProperty("param").GetString());
        }
    }

    [Fact]
    public async Task Chat_MaxTokensPastTheContext_400NamesMessages()
    {
        await using var server = await TinyServer.StartAsync();
        using var response = await server.Http.PostAsync("/v1/chat/completions", Json("""{"messages": [{"role": "user", "content": "t1 t2"}], "max_tokens": 500, "stream": true}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal(("messages", "context_length_exceeded"), (error.GetProperty("param").GetString(), error.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Chat_StepFailsMidStream_ErrorEventNoDoneCountedAs500()
    {
        await using var server = await TinyServer.StartAsync();
        int steps = 0;
        server.Model.Engine.BeforeStep = _ =>
        {
            if (Interlocked.Increment(ref steps) == 4) throw new InvalidDataException("injected failure");
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            // logprobs: a chunk for every token, even one whose text is still an incomplete UTF-8 character.
            Content = Json("""{"messages": [{"role": "user", "content": "t1"}], "max_tokens": 8, "stream": true, "ignore_eos": true, "temperature": 0, "logprobs": true}"""),
        };
        using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var (events, done) = await Sse.ReadAllAsync(response);

        Assert.False(done);
        var last = events[^1];
        Assert.Equal("server_error", last.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("injected failure", last.GetProperty("error").GetProperty("message").GetString());
        // The role chunk, then the three tokens of the steps before the failing fourth (the prompt fits one step).
        Assert.Equal(5, events.Count);
        Assert.Equal("assistant", events[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.All(events[1..^1], e => Assert.Equal(JsonValueKind.Null, e.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
        Assert.Equal(1, await RequestsWithStatus(server, "500"));
        Assert.Equal(0, await RequestsWithStatus(server, "200"));

        server.Model.Engine.BeforeStep = null;
        using var next = await server.Http.PostAsync("/v1/chat/completions", Json("""{"messages": [{"role": "user", "content": "t1"}], "max_tokens": 3}"""));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task Completion_StepFailsBeforeTheFirstByte_Plain500()
    {
        await using var server = await TinyServer.StartAsync();
        server.Model.Engine.BeforeStep = _ => throw new InvalidDataException("injected failure");
        foreach (bool stream in new[] { false, true })
        {
            using var response = await server.Http.PostAsync("/v1/completions", Json($$"""{"prompt": "t1 t2", "max_tokens": 4, "stream": {{(stream ? "true" : "false")}}}"""));
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Equal("engine_error", (await ErrorOf(response)).GetProperty("code").GetString());
        }
        Assert.Equal(2, await RequestsWithStatus(server, "500"));
    }

    [Fact]
    public async Task Chat_EngineStopped_503WithRetryAfter()
    {
        await using var server = await TinyServer.StartAsync();
        await server.Model.Engine.StopAsync(TimeSpan.Zero);
        using var response = await server.Http.PostAsync("/v1/chat/completions", Json("""{"messages": [{"role": "user", "content": "t1"}], "stream": true}"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("shutting_down", (await ErrorOf(response)).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })] // a lead byte without its continuation
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // an encoded surrogate
    public async Task Chat_InvalidUtf8InAString_400(byte[] bad)
    {
        await using var server = await TinyServer.StartAsync();
        const string Before = "{\"messages\": [{\"role\": \"user\", \"content\": \"t1";
        byte[] body = [.. Encoding.UTF8.GetBytes(Before), .. bad, .. "\"}]}"u8];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await server.Http.PostAsync("/v1/chat/completions", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal("invalid_encoding", error.GetProperty("code").GetString());
        Assert.Contains($"byte {Before.Length + 1} ", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Chat_UnpairedSurrogateEscape_400NamesTheField()
    {
        await using var server = await TinyServer.StartAsync();
        using var response = await server.Http.PostAsync("/v1/chat/completions", Json("""{"messages": [{"role": "user", "content": "t1 \ud800 t2"}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal("invalid_encoding", error.GetProperty("code").GetString());
        Assert.Contains("messages[0].content", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Tokenize_InvalidUtf8_400()
    {
        await using var server = await TinyServer.StartAsync();
        using var content = new ByteArrayContent([.. "{\"content\": \"a"u8, 0xFE, .. "\"}"u8]);
        using var response = await server.Http.PostAsync("/tokenize", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Models_ContextLength_IsTheEngines()
    {
        await using var server = await TinyServer.StartAsync();
        using var doc = JsonDocument.Parse(await server.Http.GetStringAsync("/v1/models"));
        Assert.Equal(server.Model.Engine.ContextLength, doc.RootElement.GetProperty("data")[0].GetProperty("meta").GetProperty("n_ctx").GetInt32());
        Assert.Equal(64, server.Model.Engine.ContextLength);
    }
}
