using System.Text;
using System.Text.Json;

namespace Wafer.Server.Tests;

/// <summary>Speculative decoding over HTTP: OpenAI's <c>prediction</c> (Predicted Outputs) and the <c>speculative</c> switch
/// per request, <c>--spec ngram</c> per server, the usage counts and the metrics; the answer is the same text either way.</summary>
public class SpeculationApiTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Chat(HttpClient http, string fields, string user = "Once upon a time")
    {
        var response = await http.PostAsync("/v1/chat/completions", Json($$"""{"messages": [{"role": "user", "content": {{JsonSerializer.Serialize(user)}}}], "temperature": 0, "max_tokens": 48{{fields}}}"""));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement;
    }

    private static string Content(JsonElement r) => r.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;

    /// <summary>The server weighs drafts with the fixed bar here (--spec-cost fixed), so how many are proposed does not
    /// depend on how fast the machine is during the test.</summary>
    [Fact]
    public async Task Prediction_SameAnswer_AcceptedCountsReported()
    {
        if (Fixtures.Missing("models/stories260K.gguf") is { } missing) Assert.Skip(missing);
        await using var server = await WaferServerProcess.ServeAsync("--spec-cost", "fixed");
        var http = server.Http;
        var plain = await Chat(http, "");
        Assert.False(plain.GetProperty("usage").TryGetProperty("completion_tokens_details", out _));
        string answer = Content(plain);
        var predicted = await Chat(http, $$""", "prediction": {"type": "content", "content": {{JsonSerializer.Serialize(answer)}}}""");
        Assert.Equal(answer, Content(predicted));
        var details = predicted.GetProperty("usage").GetProperty("completion_tokens_details");
        Assert.True(details.GetProperty("accepted_prediction_tokens").GetInt32() > 20, details.ToString());
        Assert.True(details.GetProperty("rejected_prediction_tokens").GetInt32() >= 0);
        string metrics = await http.GetStringAsync("metrics");
        foreach (var name in new[] { "wafer_spec_draft_tokens_total", "wafer_spec_accepted_tokens_total", "wafer_spec_accepted_length_bucket" })
            Assert.Contains(name, metrics);
    }

    [Theory]
    [InlineData(""", "speculative": "eagle" """, "speculative")]
    [InlineData(""", "prediction": {"type": "content", "content": "x"}, "logprobs": true """, "prediction")]
    [InlineData(""", "speculative": true, "logprobs": true """, "speculative")]
    [InlineData(""", "prediction": {"type": "text", "content": "x"} """, "prediction")]
    [InlineData(""", "prediction": {"type": "content", "content": "x"}, "speculative": false """, "prediction")]
    public async Task BadSpeculationFields_400NamesTheField(string fields, string param)
    {
        using var http = new HttpClient { BaseAddress = shared.Server.Url };
        var response = await http.PostAsync("/v1/chat/completions", Json($$"""{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4{{fields}}}"""));
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal(param, JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    /// <summary>A server started with --spec ngram drafts for every request (unless it says "speculative": false) and reports
    /// the counts; greedy answers are those of a server without it.</summary>
    [Fact]
    public async Task ServerSpecNgram_SameAnswersWithCounts()
    {
        if (Fixtures.Missing("models/stories260K.gguf") is { } missing) Assert.Skip(missing);
        await using var spec = await WaferServerProcess.ServeAsync("--spec", "ngram", "--draft-tokens", "4");
        using var http = new HttpClient { BaseAddress = shared.Server.Url };
        const string repetitive = "Lily had a dog. Lily had a dog. Lily had a dog. Lily had";
        var expected = await Chat(http, "", repetitive);
        var answer = await Chat(spec.Http, "", repetitive);
        Assert.Equal(Content(expected), Content(answer));
        Assert.True(answer.GetProperty("usage").TryGetProperty("completion_tokens_details", out var details), answer.ToString());
        Assert.True(details.GetProperty("accepted_prediction_tokens").GetInt32() + details.GetProperty("rejected_prediction_tokens").GetInt32() >= 0);
        var off = await Chat(spec.Http, """, "speculative": false""", repetitive);
        Assert.False(off.GetProperty("usage").TryGetProperty("completion_tokens_details", out _));
        Assert.Equal(Content(expected), Content(off));
    }
}
