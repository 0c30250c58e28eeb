using System.Text.Json;
using Wafer.Bench;

namespace Wafer.Bench.Tests;

/// <summary><c>wafer bench serve</c> tallies which KV precision served each request (the <c>X-Wafer-KV-Precision</c> header of
/// <c>wafer serve --adaptive</c>): per run, in the JSON and in the console table.</summary>
public class KvPrecisionTallyTests
{
    [Fact]
    public async Task RunLevel_HeaderPerAnswer_CountedPerPrecision_FailuresLeftOut()
    {
        // Every 3rd answer is reduced; every 4th is a 429 (its precision, if any, does not count).
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions
        {
            KvPrecisionFor = n => n % 3 == 0 ? "q8_0" : "f32",
            FailWith = n => n % 4 == 3 ? new FakeFailure(429) : null,
        });
        using var http = BenchHttpClient.Create(1);

        var run = await BenchTestKit.RunAsync(BenchTestKit.Options(server.Url, LoadLevel.ClosedLoop(1), 12), http);

        // Arrivals 0…11: 429 at 3, 7, 11; of the others q8_0 at 0, 6, 9 and f32 at 1, 2, 4, 5, 8, 10.
        Assert.Equal(new Dictionary<string, int> { ["f32"] = 6, ["q8_0"] = 3 }, run.KvPrecisions);
        Assert.Equal("q8_0", run.Result.Records.Single(r => r.Index == 0).KvPrecision);
    }

    [Fact]
    public async Task RunLevel_NoHeader_NothingTallied()
    {
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions());
        using var http = BenchHttpClient.Create(1);
        var run = await BenchTestKit.RunAsync(BenchTestKit.Options(server.Url, LoadLevel.ClosedLoop(1), 3), http);
        Assert.Empty(run.KvPrecisions);
    }

    [Fact]
    public async Task BenchServe_ReportsPrecisionsInJsonAndConsole()
    {
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions { KvPrecisionFor = n => n % 2 == 0 ? "q8_0" : "f16" });
        string json = Path.Combine(Path.GetTempPath(), $"wafer-bench-{Guid.NewGuid():N}.json");
        try
        {
            var r = await Task.Run(() => WaferProcess.Run("bench", "serve", "--url", server.Url, "--model", "fake", "--requests", "6", "--concurrency", "1",
                "--prompt-tokens", "10", "--output-tokens", "3", "--warmup", "0", "--json", json), TestContext.Current.CancellationToken);

            Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json, TestContext.Current.CancellationToken));
            var run = doc.RootElement.GetProperty("runs")[0];
            Assert.Equal(3, run.GetProperty("kv_precision").GetProperty("q8_0").GetInt32());
            Assert.Equal(3, run.GetProperty("kv_precision").GetProperty("f16").GetInt32());
            Assert.Equal(3, run.GetProperty("requests").EnumerateArray().Count(q => q.GetProperty("kv_precision").GetString() == "q8_0"));
            Assert.Contains("f16:3 q8_0:3", r.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(json);
        }
    }
}
