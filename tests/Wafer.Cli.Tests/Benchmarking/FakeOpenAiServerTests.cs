using System.Text.Json;
using Wafer.Cli.Benchmarking;

namespace Wafer.Cli.Tests.Benchmarking;

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
    public async Task RunLevel_StragglingServer_ClientSeesExactlyTheInjectedTail()
    {
        var straggle = TimeSpan.FromMilliseconds(300);
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions
        {
            FirstTokenDelay = TimeSpan.FromMilliseconds(2), StragglerFraction = 0.25, StragglerDelay = straggle, Seed = 3,
        });
        using var http = BenchHttpClient.Create(4);

        var run = await BenchTestKit.RunAsync(BenchTestKit.Options(server.Url, LoadLevel.ClosedLoop(4), 24, outputTokens: 3), http);

        Assert.Equal(24, run.RequestsCompleted);
        Assert.InRange(server.StragglerCount, 1, 23);
        int slow = run.Result.Records.Count(r => r.TtftMs >= straggle.TotalMilliseconds - 5);
        Assert.Equal(server.StragglerCount, slow);
        Assert.True(run.TtftMs.P50 < 100, $"p50 {run.TtftMs.P50} ms");
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

    [Theory]
    [InlineData("--straggler-fraction", "1.5", "--straggler-fraction 1.5")]
    [InlineData("--ttft-ms", "-1", "--ttft-ms -1")]
    public void FakeServer_BadOption_OneLineError(string option, string value, string expected)
    {
        var r = WaferProcess.Run("bench", "fake-server", "--port", "0", option, value);

        CliAssert.OneLineError(r, expected);
    }
}
