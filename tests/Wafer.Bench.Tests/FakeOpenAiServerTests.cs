using System.Text.Json;
using Wafer.Bench;

namespace Wafer.Bench.Tests;

public class FakeOpenAiServerTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.05)]
    [InlineData(0.3)]
    [InlineData(1.0)]
    public void IsStraggler_ManyRequests_ShareNearFraction(double fraction)
    {
        var options = new FakeServerOptions { StragglerFraction = fraction, Seed = 7 };

        int stragglers = Enumerable.Range(0, 20_000).Count(options.IsStraggler);

        Assert.InRange(stragglers / 20_000.0, fraction - 0.01, fraction + 0.01);
    }

    [Fact]
    public void IsStraggler_SameSeed_SamePicks_OtherSeed_OtherPicks()
    {
        var a = new FakeServerOptions { StragglerFraction = 0.1, Seed = 1 };
        var again = new FakeServerOptions { StragglerFraction = 0.1, Seed = 1 };
        var b = new FakeServerOptions { StragglerFraction = 0.1, Seed = 2 };

        var picksA = Enumerable.Range(0, 2000).Where(a.IsStraggler).ToList();

        Assert.Equal(picksA, Enumerable.Range(0, 2000).Where(again.IsStraggler));
        Assert.NotEqual(picksA, Enumerable.Range(0, 2000).Where(b.IsStraggler));
    }

    [Fact]
    public async Task RunLevel_StragglingServer_ClientSeesEveryInjectedStraggler()
    {
        var straggle = TimeSpan.FromMilliseconds(300);
        var options = new FakeServerOptions
        {
            FirstTokenDelay = TimeSpan.FromMilliseconds(2), StragglerFraction = 0.25, StragglerDelay = straggle, Seed = 3, RecordServed = true,
        };
        await using var server = await FakeOpenAiServer.StartAsync(options);
        using var http = BenchHttpClient.Create(4);
        var bench = BenchTestKit.Options(server.Url, LoadLevel.ClosedLoop(4), 24, outputTokens: 3);

        var run = await BenchTestKit.RunAsync(bench, http);
        // The client can see [DONE] before the server's handler has recorded what it served: wait for every handler to end.
        await BenchTestKit.WaitForHandlersAsync(server, 24);

        // What the server injected is known in advance (a hash of seed and arrival number), whatever the timing.
        int injected = Enumerable.Range(0, 24).Count(options.IsStraggler);
        Assert.InRange(injected, 1, 23);
        Assert.Equal(24, run.RequestsCompleted);
        Assert.Equal(injected, server.StragglerCount);
        // Each straggler's first token left the server at least 300 ms after its request arrived, so its client, which sent the
        // request before that, must have measured at least as much. (Other requests may look slow too on a busy machine.)
        var prompts = WorkloadGenerator.Generate(bench.Workload, bench.RequestCount, bench.Seed).ToDictionary(r => r.Tagged("level-1").Prompt, r => r.Index); // as the first level sends them
        var stragglers = server.Served.Where(s => s.Straggler).ToList();
        Assert.Equal(injected, stragglers.Count);
        Assert.All(stragglers, s =>
        {
            int index = prompts[LastUserContent(s.Body)];
            double ttft = run.Result.Records.Single(r => r.Index == index).TtftMs!.Value;
            Assert.True(ttft >= straggle.TotalMilliseconds, $"request {index} straggled at the server but its client measured {ttft:0.0} ms");
        });
    }

    private static string LastUserContent(string body)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString()!;
    }

    [Theory]
    [InlineData("/v1/chat/completions", "chat.completion")]
    [InlineData("/v1/completions", "text_completion")]
    public async Task Post_NotStreaming_AnswersOneJsonObjectWithUsage(string path, string objectName)
    {
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions { Model = "m" });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

        using var response = await http.PostAsync(path, new StringContent("""{"model":"m","max_tokens":3}"""), TestContext.Current.CancellationToken);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(objectName, doc.RootElement.GetProperty("object").GetString());
        Assert.Equal(3, doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Post_NotJson_Answers400InOpenAiShape()
    {
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions());
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

        using var response = await http.PostAsync("/v1/chat/completions", new StringContent("nope"), TestContext.Current.CancellationToken);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("invalid_request_error", doc.RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Post_FailWithRetryAfter_StatusHeaderAndOpenAiError()
    {
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions
        {
            FailWith = n => n == 1 ? FakeFailure.RetryAfter(429, 7) with { Message = "slow down" } : null,
        });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var ct = TestContext.Current.CancellationToken;
        const string body = """{"model":"m","max_tokens":2,"messages":[{"role":"user","content":"hi"}]}""";

        using var first = await http.PostAsync("/v1/chat/completions", new StringContent(body), ct);
        using var second = await http.PostAsync("/v1/chat/completions", new StringContent(body), ct);

        Assert.Equal(200, (int)first.StatusCode);
        Assert.Equal(429, (int)second.StatusCode);
        Assert.Equal("7", second.Headers.GetValues("Retry-After").Single());
        var error = Wafer.OpenAi.Errors.OpenAiError.TryParse(await second.Content.ReadAsByteArrayAsync(ct));
        Assert.Equal(new Wafer.OpenAi.Errors.OpenAiError("slow down", "invalid_request_error"), error);
    }

    [Fact]
    public async Task Options_SwappedWhileRunning_NextRequestsFollowThem()
    {
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions());
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(200, (int)(await http.GetAsync("/health", ct)).StatusCode);

        server.Options = server.Options with { Healthy = false, FailWith = _ => new FakeFailure(503) };

        Assert.Equal(503, (int)(await http.GetAsync("/health", ct)).StatusCode);
        using var response = await http.PostAsync("/v1/completions", new StringContent("""{"prompt":"x","max_tokens":1}"""), ct);
        Assert.Equal(503, (int)response.StatusCode);
        Assert.Throws<ArgumentException>(() => server.Options = server.Options with { StragglerFraction = 2 });
    }

    [Theory]
    [InlineData("/v1/chat/completions", "\"content\":[{\"token\":\"{\\\"a\\\":\",\"logprob\":-0.5}")]
    [InlineData("/v1/completions", "\"token_logprobs\":[-0.5]")]
    public async Task Post_ScriptedTokensWithLogprobs_StreamsEachTokenWithItsLogprob(string path, string expected)
    {
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions { Tokens = ["{\"a\":", " 1}"], Logprob = -0.5, FinishReason = "stop", UsageUnasked = true });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var ct = TestContext.Current.CancellationToken;

        using var response = await http.PostAsync(path, new StringContent("""{"model":"m","stream":true,"logprobs":true,"prompt":"x","messages":[{"role":"user","content":"hi"}]}"""), ct);
        using var reader = new Wafer.OpenAi.Sse.SseReader(await response.Content.ReadAsStreamAsync(ct));
        var events = new List<string>();
        while (await reader.ReadEventAsync(ct) is { } data) events.Add(data);

        Assert.True(reader.SawDone);
        var chunks = events.Select(e => Wafer.OpenAi.Streaming.StreamChunk.Parse(e)).ToList();
        Assert.Equal(2, chunks.Count(c => c.HasContent));
        Assert.Contains(events, e => e.Contains(expected, StringComparison.Ordinal));
        Assert.Contains("\"finish_reason\":\"stop\"", events.Last(e => e.Contains("finish_reason\":\"", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal(2, chunks[^1].CompletionTokens);
    }

    [Theory]
    [InlineData("--straggler-fraction", "1.5", "--straggler-fraction 1.5")]
    [InlineData("--ttft-ms", "-1", "--ttft-ms -1")]
    public void FakeServer_BadOption_OneLineError(string option, string value, string expected)
    {
        var r = WaferProcess.Run("bench", "fake-server", "--port", "0", option, value);

        CliAssert.OneLineError(r, expected);
    }
}
