using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Wafer.Server.Tests;

/// <summary>Raw HTTP checks: SSE framing and every error status, in OpenAI's error shape.</summary>
public class HttpProtocolTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private HttpClient Http => shared.Server.Http;

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _) && error.TryGetProperty("code", out _));
        Assert.DoesNotContain("   at ", error.GetProperty("message").GetString());
        return error;
    }

    [Fact]
    public async Task ChatStream_SseFraming_DataLinesUsageChunkAndDone()
    {
        using var response = await Http.PostAsync("v1/chat/completions", Json("""
            {"model":"stories260K","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":6,"temperature":0,
             "stream":true,"stream_options":{"include_usage":true}}
            """));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        string body = await response.Content.ReadAsStringAsync();

        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var usageChunk = chunks[^1];
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        Assert.Equal(6, usageChunk.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Completions_NonStreaming_ReturnsTextCompletion()
    {
        using var response = await Http.PostAsync("v1/completions", Json("""{"prompt":"Once upon a time","max_tokens":8,"temperature":0,"logprobs":2}"""));
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("text_completion", root.GetProperty("object").GetString());
        Assert.StartsWith(", there was a little", root.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal(8, root.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("tokens").GetArrayLength());
        Assert.Equal(5, root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Chat_UnknownFields_Ignored()
    {
        using var response = await Http.PostAsync("v1/chat/completions", Json("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"frobnicate":{"x":1},"parallel_tool_calls":false}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"temperature":7}""", "temperature")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":-1}""", "max_tokens")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"top_p":"high"}""", "top_p")]
    [InlineData("""{"messages":[{"role":"wizard","content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"messages":[]}""", "messages")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"n":3}""", "n")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"logit_bias":{"99999":5}}""", "logit_bias")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"stop":[""]}""", "stop")]
    public async Task Chat_InvalidParameter_400NamesIt(string body, string param)
    {
        using var response = await Http.PostAsync("v1/chat/completions", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, (await ErrorOf(response)).GetProperty("param").GetString());
    }

    [Fact]
    public async Task Chat_MalformedJson_400()
    {
        using var response = await Http.PostAsync("v1/chat/completions", Json("{\"messages\": [}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_json", (await ErrorOf(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Chat_UnknownModel_404()
    {
        using var response = await Http.PostAsync("v1/chat/completions", Json("""{"model":"nope","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("model_not_found", (await ErrorOf(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Chat_PromptPlusMaxTokensOverContext_400ContextLengthExceeded()
    {
        using var response = await Http.PostAsync("v1/chat/completions", Json("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":100000}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("context_length_exceeded", (await ErrorOf(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Chat_HugeBody_413()
    {
        string big = new('a', 9 * 1024 * 1024);
        using var response = await Http.PostAsync("v1/chat/completions", Json($$"""{"messages":[{"role":"user","content":"{{big}}"}]}"""));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await ErrorOf(response);
    }

    [Fact]
    public async Task UnknownPath_404Json()
    {
        using var response = await Http.GetAsync("v1/nothing");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await ErrorOf(response);
    }

    [Fact]
    public async Task TokenizeDetokenize_RoundTrip()
    {
        using var t = await Http.PostAsJsonAsync("tokenize", new { content = "Once upon a time" });
        var tokens = JsonDocument.Parse(await t.Content.ReadAsStringAsync()).RootElement.GetProperty("tokens").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        Assert.Equal([403, 407, 261, 378], tokens);
        using var d = await Http.PostAsJsonAsync("detokenize", new { tokens });
        Assert.Equal(" Once upon a time", JsonDocument.Parse(await d.Content.ReadAsStringAsync()).RootElement.GetProperty("content").GetString());
    }

    [Fact]
    public async Task Metrics_ExposeTheContractNames()
    {
        using (await Http.PostAsync("v1/completions", Json("""{"prompt":"Once","max_tokens":2}"""))) { }
        string metrics = await Http.GetStringAsync("metrics");
        foreach (var name in new[]
        {
            "wafer_time_to_first_token_seconds", "wafer_inter_token_latency_seconds", "wafer_e2e_request_latency_seconds",
            "wafer_request_queue_time_seconds", "wafer_requests_running", "wafer_requests_waiting", "wafer_kv_cache_usage_ratio",
            "wafer_prefix_cache_queries_total", "wafer_prefix_cache_hits_total", "wafer_prompt_tokens_total",
            "wafer_generation_tokens_total", "wafer_requests_total{",
        })
            Assert.Contains(name, metrics);
        Assert.Contains("status=\"200\"", metrics);
    }
}
