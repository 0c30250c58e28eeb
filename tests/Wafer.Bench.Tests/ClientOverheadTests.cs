using System.Diagnostics;
using System.Text;
using Wafer.OpenAi.Sse;
using Wafer.OpenAi.Streaming;
using Wafer.Bench;
using Wafer.Bench.Tests.Support;

namespace Wafer.Bench.Tests;

/// <summary>How much the benchmark itself costs: the numbers quoted in docs/bench-serve.md come from these tests' output.</summary>
/// <remarks>Speed on this machine, so behind <see cref="BenchSwitch"/>: <c>WAFER_BENCH=1 dotnet test --project tests/Wafer.Bench.Tests -c Release</c>.</remarks>
[Collection(TimingCollection.Name)]
public class ClientOverheadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ParseStream_ManyChunksInMemory_FewMicrosecondsPerChunk()
    {
        BenchSwitch.Require("the client's parse cost per chunk");
        const int chunkCount = 50_000;
        var text = new StringBuilder();
        for (int i = 0; i < chunkCount; i++) text.Append("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" word\"}}]}\n\n");
        byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
        await CountAsync(bytes); // JIT

        long start = Stopwatch.GetTimestamp();
        int counted = await CountAsync(bytes);
        double microsPerChunk = Stopwatch.GetElapsedTime(start).TotalMicroseconds / chunkCount;

        output.WriteLine($"client parse cost: {microsPerChunk:0.00} µs per SSE chunk (read line + JSON parse + timestamp)");
        Assert.Equal(chunkCount, counted);
        Assert.True(microsPerChunk < 50, $"{microsPerChunk:0.0} µs per chunk");
    }

    [Fact]
    public async Task RunLevel_InstantServer_ClientSustainsThousandsOfTokensPerSecond()
    {
        BenchSwitch.Require("the client's token throughput");
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions());
        using var http = BenchHttpClient.Create(16);
        var options = BenchTestKit.Options(server.Url, LoadLevel.ClosedLoop(16), 160, outputTokens: 64);
        await BenchTestKit.RunAsync(options with { RequestCount = 32 }, http);

        var run = await BenchTestKit.RunAsync(options, http);

        output.WriteLine($"instant server, c=16, 64 tokens: {run.RequestThroughput:0} req/s, {run.OutputTokenThroughput:0} tok/s, " +
            $"TTFT p50 {run.TtftMs.P50:0.00} p99 {run.TtftMs.P99:0.00} ms, ITL p50 {run.ItlMs.P50 * 1000:0} µs, E2E p50 {run.E2eMs.P50:0.00} ms, on {Environment.ProcessorCount} cores");
        Assert.Equal(160, run.RequestsCompleted);
        Assert.True(run.OutputTokenThroughput > 2000, $"{run.OutputTokenThroughput:0} tok/s");
    }

    private static async Task<int> CountAsync(byte[] bytes)
    {
        using var reader = new SseReader(new MemoryStream(bytes));
        int count = 0;
        while (await reader.ReadEventAsync(CancellationToken.None) is string data)
        {
            _ = Stopwatch.GetTimestamp();
            if (StreamChunk.Parse(data).HasContent) count++;
        }
        return count;
    }
}
