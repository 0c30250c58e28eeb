using System.Text.Json;
using Wafer.Bench;

namespace Wafer.Bench.Tests;

/// <summary>No load level (and not the warm-up) sends another's prompts, so a server's prefix cache cannot answer one level
/// from the last: each phase's prompts start with their own word, with the same lengths and words after it.</summary>
public class LevelPromptTests
{
    [Fact]
    public async Task Sweep_EachLevelAndTheWarmupSendTheirOwnPrompts()
    {
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions { RecordServed = true });
        using var http = BenchHttpClient.Create(2);
        var options = BenchTestKit.Options(server.Url, LoadLevel.ClosedLoop(1), 4) with { Levels = [LoadLevel.ClosedLoop(1), LoadLevel.ClosedLoop(2)], WarmupCount = 2 };
        using var reconnectHttp = BenchHttpClient.CreateFresh();
        var runner = new BenchServeRunner(options, BenchTestKit.Sender(options, http, reconnectHttp), TimeProvider.System);
        await runner.WarmupAsync(TestContext.Current.CancellationToken);
        await runner.RunLevelAsync(0, null, TestContext.Current.CancellationToken);
        await runner.RunLevelAsync(1, null, TestContext.Current.CancellationToken);
        await BenchTestKit.WaitForHandlersAsync(server, 10);

        var prompts = server.Served.Select(s => JsonDocument.Parse(s.Body).RootElement.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString()!).ToList();
        Assert.Equal(10, prompts.Count);
        Assert.Equal(10, prompts.Distinct().Count());
        Assert.Equal(2, prompts.Count(p => p.StartsWith("warm-up ", StringComparison.Ordinal)));
        Assert.Equal(4, prompts.Count(p => p.StartsWith("level-1 ", StringComparison.Ordinal)));
        Assert.Equal(4, prompts.Count(p => p.StartsWith("level-2 ", StringComparison.Ordinal)));
        // After the tag the levels send the same workload.
        Assert.Equal(prompts.Where(p => p.StartsWith("level-1 ", StringComparison.Ordinal)).Select(p => p[8..]).Order(),
            prompts.Where(p => p.StartsWith("level-2 ", StringComparison.Ordinal)).Select(p => p[8..]).Order());
    }
}
