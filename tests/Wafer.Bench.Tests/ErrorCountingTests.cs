using Wafer.Bench;

namespace Wafer.Bench.Tests;

public class ErrorCountingTests
{
    [Fact]
    public async Task RunLevel_Server429And500_CountsErrorsByStatus()
    {
        // Arrival n: every 3rd is throttled, every 5th (not 3rd) fails; 12 requests → 4 × 429, 2 × 500, 6 ok.
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions
        {
            FailWith = n => n % 3 == 0 ? new FakeFailure(429) : n % 5 == 0 ? new FakeFailure(500) : null,
        });
        using var http = BenchHttpClient.Create(4);

        var run = await BenchTestKit.RunAsync(BenchTestKit.Options(server.Url, LoadLevel.ClosedLoop(1), 12), http);

        Assert.Equal(6, run.RequestsCompleted);
        Assert.Equal(6, run.Errors);
        Assert.Equal(new Dictionary<string, int> { ["429"] = 4, ["500"] = 2 }, run.ErrorsByStatus);
        Assert.All(run.Result.Records.Where(r => !r.Success), r => Assert.Contains("fake", r.ErrorMessage, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunLevel_RefusedPort_CountsConnectionRefused()
    {
        using var http = BenchHttpClient.Create(4);
        var options = BenchTestKit.Options($"http://127.0.0.1:{BenchTestKit.RefusedPort()}", LoadLevel.ClosedLoop(4), 8);

        var run = await BenchTestKit.RunAsync(options, http);

        Assert.Equal(0, run.RequestsCompleted);
        Assert.Equal(new Dictionary<string, int> { ["connection_refused"] = 8 }, run.ErrorsByStatus);
        Assert.Equal(0, run.Reconnects); // a server that is down is not a closed keep-alive connection: no retry
        Assert.Equal(LatencySummary.Empty, run.TtftMs);
        Assert.Equal(0, run.RequestThroughput);
    }

    [Fact]
    public async Task RunLevel_ServerSlowerThanTimeout_CountsTimeouts()
    {
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions { FirstTokenDelay = TimeSpan.FromSeconds(20) });
        using var http = BenchHttpClient.Create(2);

        var run = await BenchTestKit.RunAsync(BenchTestKit.Options(server.Url, LoadLevel.ClosedLoop(2), 2), http, TimeSpan.FromMilliseconds(200));

        Assert.Equal(new Dictionary<string, int> { ["timeout"] = 2 }, run.ErrorsByStatus);
        Assert.Equal(0, run.Reconnects);
        // Cause and effect only: the client gave up at its 200 ms timeout (timers do not fire early), long before the server's
        // 20 s first token, however slow a busy machine makes the rest.
        Assert.All(run.Result.Records, r => Assert.InRange(r.E2eMs, 150, 19_000));
    }

    [Theory]
    [InlineData("chat", true)]
    [InlineData("completions", true)]
    [InlineData("completions", false)]
    public async Task RunLevel_EitherEndpointWithOrWithoutUsage_CountsEveryToken(string endpointName, bool usage)
    {
        var endpoint = EndpointKinds.Parse(endpointName);
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions { SendUsage = usage });
        using var http = BenchHttpClient.Create(2);

        var run = await BenchTestKit.RunAsync(BenchTestKit.Options(server.Url, LoadLevel.ClosedLoop(2), 4, outputTokens: 5, endpoint: endpoint), http);

        Assert.Equal(4, run.RequestsCompleted);
        Assert.All(run.Result.Records, r =>
        {
            Assert.Equal(5, r.OutputTokens);
            Assert.Equal(usage, r.UsageReported);
            Assert.Equal(4, r.ItlMs.Length);
        });
        Assert.Contains("\"include_usage\":true", server.LastBody, StringComparison.Ordinal);
    }
}
