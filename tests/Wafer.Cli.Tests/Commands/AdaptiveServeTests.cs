using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Wafer.Tests;

namespace Wafer.Cli.Tests.Commands;

/// <summary><c>wafer serve --adaptive</c> over HTTP: every API says which KV precision served a request (the header
/// <c>X-Wafer-KV-Precision</c> and <c>usage.kv_precision</c>), the request field <c>quality</c> pins it, <c>/metrics</c> counts
/// requests per precision, and what cannot work is refused in one line. (The embedded stories260K has heads of 8 values, so
/// its reduced precision is F16: Q8_0 needs heads of 32·k.)</summary>
public class AdaptiveServeTests
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<(HttpResponseMessage Response, JsonElement Body)> PostAsync(WaferServerProcess server, string path, string body)
    {
        var response = await server.Http.PostAsync(path, Json(body));
        string text = await response.Content.ReadAsStringAsync();
        return (response, text.StartsWith('{') ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    private static string Header(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Wafer-KV-Precision", out var v) ? string.Join(",", v) : "(none)";

    private const string Chat = """{"messages": [{"role": "user", "content": "Once upon a time"}], "max_tokens": 6, "temperature": 0""";

    [Fact]
    public async Task Adaptive_QualityPinsThePrecision_EveryApiSaysWhichServedIt()
    {
        await using var server = await WaferServerProcess.ServeWithAsync(null,
            [Repository.DefaultModel, "--kv-cache-mb", "8", "--ctx", "256", "--kv-type", "f32", "--adaptive", "--adaptive-kv-type", "f16"]);
        var m = Regex.Match(server.Log, @"KV cache (\d+) tokens \(\d+ MiB, f32; --adaptive: f16 \((\d+) tokens\)");
        Assert.True(m.Success, server.Log);
        Assert.Equal(2 * long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), long.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));

        foreach (var (quality, expected) in new[] { ("fast", "f16"), ("full", "f32"), ("auto", "f32") }) // an idle server is not under pressure
        {
            var (response, body) = await PostAsync(server, "/v1/chat/completions", Chat + $", \"quality\": \"{quality}\"}}");
            Assert.True(response.IsSuccessStatusCode, body.ToString());
            Assert.Equal(expected, Header(response));
            Assert.Equal(expected, body.GetProperty("usage").GetProperty("kv_precision").GetString());
        }

        var (completion, completionBody) = await PostAsync(server, "/v1/completions", """{"prompt": "Once", "max_tokens": 4, "quality": "fast"}""");
        Assert.Equal("f16", Header(completion));
        Assert.Equal("f16", completionBody.GetProperty("usage").GetProperty("kv_precision").GetString());
        var (messages, messagesBody) = await PostAsync(server, "/v1/messages", """{"model": "stories260K-Q8_0", "max_tokens": 4, "messages": [{"role": "user", "content": "Hi"}], "quality": "fast"}""");
        Assert.True(messages.IsSuccessStatusCode, messagesBody.ToString());
        Assert.Equal("f16", messagesBody.GetProperty("usage").GetProperty("kv_precision").GetString());
        var (responses, responsesBody) = await PostAsync(server, "/v1/responses", """{"input": "Hi", "max_output_tokens": 4, "quality": "fast"}""");
        Assert.True(responses.IsSuccessStatusCode, responsesBody.ToString());
        Assert.Equal("f16", Header(responses));
        Assert.Equal("f16", responsesBody.GetProperty("usage").GetProperty("kv_precision").GetString());

        // Streamed: the header comes with the 200, the precision again in the usage chunk.
        var streamed = await server.Http.PostAsync("/v1/chat/completions", Json(Chat + """, "quality": "fast", "stream": true, "stream_options": {"include_usage": true}}"""));
        Assert.Equal("f16", Header(streamed));
        string sse = await streamed.Content.ReadAsStringAsync();
        Assert.Contains("\"kv_precision\":\"f16\"", sse);

        var (bad, badBody) = await PostAsync(server, "/v1/chat/completions", Chat + """, "quality": "turbo"}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("quality", badBody.GetProperty("error").GetProperty("param").GetString());

        string metrics = await server.Http.GetStringAsync("/metrics");
        Assert.Matches(new Regex(@"wafer_sequences_admitted_total\{[^}]*kv_precision=""f16""[^}]*\} 5"), metrics);
        Assert.Matches(new Regex(@"wafer_sequences_admitted_total\{[^}]*kv_precision=""f32""[^}]*\} 2"), metrics);
        Assert.Matches(new Regex(@"wafer_kv_pressure\{[^}]*\} 0"), metrics);
    }

    [Fact]
    public async Task WithoutAdaptive_FastIsRefused_FullIsWhatItGets()
    {
        await using var server = await WaferServerProcess.ServeWithAsync(null, [Repository.DefaultModel, "--kv-cache-mb", "8", "--ctx", "256"]);
        var (fast, body) = await PostAsync(server, "/v1/chat/completions", Chat + """, "quality": "fast"}""");
        Assert.Equal(HttpStatusCode.BadRequest, fast.StatusCode);
        Assert.Equal("quality", body.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains("--adaptive", body.GetProperty("error").GetProperty("message").GetString());
        var (full, fullBody) = await PostAsync(server, "/v1/chat/completions", Chat + """, "quality": "full"}""");
        Assert.Equal("f16", Header(full)); // the serving default
        Assert.Equal("f16", fullBody.GetProperty("usage").GetProperty("kv_precision").GetString());
    }

    [Fact]
    public void Serve_AdaptiveOptionsThatCannotWork_OneLine()
    {
        CliAssert.OneLineError(WaferProcess.Run("serve", Repository.DefaultModel, "--port", "0", "--adaptive-queue", "3"), "--adaptive-queue needs --adaptive");
        CliAssert.OneLineError(WaferProcess.Run("serve", Repository.DefaultModel, "--port", "0", "--adaptive"), "multiple of 32"); // q8_0 on heads of 8
        CliAssert.OneLineError(WaferProcess.Run("serve", Repository.DefaultModel, "--port", "0", "--adaptive", "--adaptive-kv-type", "f16"), "narrower"); // the default cache is F16
    }
}
