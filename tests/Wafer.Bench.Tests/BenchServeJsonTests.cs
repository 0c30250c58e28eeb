using System.Text.Json;
using Wafer.Bench;

namespace Wafer.Bench.Tests;

public class BenchServeJsonTests
{
    private static readonly string[] RunKeys =
    [
        "concurrency", "requests_completed", "errors", "errors_by_status", "reconnects", "kv_precision", "duration_s", "request_throughput", "output_token_throughput",
        "input_token_throughput", "goodput", "ttft_ms", "itl_ms", "e2e_ms", "tpot_ms", "requests",
    ];

    private static readonly string[] SummaryKeys = ["mean", "p50", "p90", "p99", "max"];

    private static readonly string[] RequestKeys =
        ["index", "start_ms", "status", "error", "reconnected", "ttft_ms", "e2e_ms", "prompt_tokens", "output_tokens", "usage_reported", "itl_ms"];

    private static string[] Keys(JsonElement e) => [.. e.EnumerateObject().Select(p => p.Name)];

    [Fact]
    public async Task BenchServe_SweepAgainstFakeServer_WritesContractJson()
    {
        await using var server = await FakeOpenAiServer.StartAsync(new FakeServerOptions { FirstTokenDelay = TimeSpan.FromMilliseconds(2), TokenInterval = TimeSpan.FromMilliseconds(1) });
        string json = Path.Combine(Path.GetTempPath(), $"wafer-bench-{Guid.NewGuid():N}.json");
        try
        {
            var r = await Task.Run(() => WaferProcess.Run("bench", "serve", "--url", server.Url, "--model", "fake", "--requests", "6", "--sweep", "1,3",
                "--prompt-tokens", "30±5", "--output-tokens", "4", "--slo-ttft-ms", "1000", "--slo-itl-ms", "1000", "--seed", "5", "--json", json),
                TestContext.Current.CancellationToken);

            Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
            Assert.Contains("TTFT", r.StdOut, StringComparison.Ordinal);
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json, TestContext.Current.CancellationToken));
            Assert.Equal(["config", "runs"], Keys(doc.RootElement));
            var config = doc.RootElement.GetProperty("config");
            Assert.Equal("30±5", config.GetProperty("prompt_tokens").GetString());
            Assert.Equal("concurrency", config.GetProperty("mode").GetString());
            var runs = doc.RootElement.GetProperty("runs").EnumerateArray().ToList();
            Assert.Equal([1, 3], runs.Select(run => run.GetProperty("concurrency").GetInt32()));
            foreach (var run in runs)
            {
                Assert.Equal(RunKeys, Keys(run));
                foreach (string s in (string[])["ttft_ms", "itl_ms", "e2e_ms", "tpot_ms"]) Assert.Equal(SummaryKeys, Keys(run.GetProperty(s)));
                Assert.Equal(6, run.GetProperty("requests_completed").GetInt32());
                Assert.Equal(0, run.GetProperty("errors").GetInt32());
                Assert.True(run.GetProperty("goodput").GetDouble() > 0);
                var requests = run.GetProperty("requests").EnumerateArray().ToList();
                Assert.Equal(6, requests.Count);
                Assert.All(requests, q => Assert.Equal(RequestKeys, Keys(q)));
                Assert.All(requests, q => Assert.Equal(3, q.GetProperty("itl_ms").GetArrayLength()));
            }
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Fact]
    public void BenchServe_RateAndConcurrencyBoth_OneLineError()
    {
        var r = WaferProcess.Run("bench", "serve", "--url", "http://127.0.0.1:9", "--model", "m", "--concurrency", "2", "--rate", "1");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("give exactly one of --concurrency", r.StdErr, StringComparison.Ordinal);
    }
}
