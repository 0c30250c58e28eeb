using System.Globalization;
using System.Text.Json;
using Wafer.Router.Tests.Support;

namespace Wafer.Router.Tests.Cluster;

/// <summary>The hedging claim end to end with real processes: two <c>wafer bench fake-server</c> backends that straggle,
/// a <c>wafer route</c> with a plain and a hedged route over them, and <c>wafer bench serve</c> measuring both.</summary>
public sealed class HedgingBenchServeTests(ITestOutputHelper output)
{
    private const int Requests = 100;

    // Seeds 1 and 4 straggle on 5 of the plain run's ~100 arrivals and 4 of the hedged run's (FakeServerOptions.IsStraggler
    // is a hash of seed and arrival number), so both runs have a tail to show; the hedge delay of 100 ms stays clear of
    // the normal first token even when the rest of the suite loads the machine.
    [Fact]
    public async Task BenchServe_StragglingBackendsThroughRouter_HedgingCutsP99AtLeast3x()
    {
        string[] fakeArgs = ["--ttft-ms", "2", "--itl-ms", "1", "--straggler-fraction", "0.05", "--straggler-ms", "1000"];
        var backends = await Task.WhenAll(
            WaferServerProcess.FakeServerAsync([.. fakeArgs, "--seed", "1"]),
            WaferServerProcess.FakeServerAsync([.. fakeArgs, "--seed", "4"]));
        string config = Configs.Router(
            backends.Select((b, i) => Configs.Backend($"f{i}", b.Url, "\"plain\", \"hedged\"")),
            [
                Configs.Route("plain", ["f0", "f1"]),
                Configs.Route("hedged", ["f0", "f1"], extra: "\"hedging\": {\"delayMs\": 100, \"budgetRatio\": 0.1}"),
            ]);
        string path = Path.Combine(Path.GetTempPath(), $"wafer-router-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, config, TestContext.Current.CancellationToken);
        try
        {
            await using var router = await WaferServerProcess.RouteAsync(path);

            double plainP99 = await BenchP99Async(router.Url, "plain");
            double hedgesBefore = await router.MetricAsync("wafer_router_hedges_sent_total");
            double hedgedP99 = await BenchP99Async(router.Url, "hedged");
            double hedges = await router.MetricAsync("wafer_router_hedges_sent_total") - hedgesBefore;

            output.WriteLine($"p99 TTFT: plain {plainP99:F1} ms, hedged {hedgedP99:F1} ms; hedges {hedges} of {Requests + 1} requests");
            Assert.InRange(hedges, 1, 0.1 * (Requests + 1) + 3);
            if (!BenchScale.Measuring) return; // wall-clock figures: asserted only when measuring on purpose
            Assert.True(plainP99 >= 900, $"the injected 1,000 ms tail should show without hedging (p99 {plainP99:F1} ms)");
            Assert.True(hedgedP99 * 3 <= plainP99, $"hedged p99 {hedgedP99:F1} ms is not 3× better than {plainP99:F1} ms");
        }
        finally
        {
            foreach (var b in backends) await b.DisposeAsync();
            File.Delete(path);
        }
    }

    private static async Task<double> BenchP99Async(Uri router, string model)
    {
        string json = Path.Combine(Path.GetTempPath(), $"wafer-bench-{Guid.NewGuid():N}.json");
        try
        {
            var r = await Task.Run(() => WaferProcess.Run("bench", "serve", "--url", router.ToString(), "--model", model, "--requests", $"{Requests}",
                "--concurrency", "4", "--prompt-tokens", "20±5", "--output-tokens", "4", "--json", json));
            Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            var run = doc.RootElement.GetProperty("runs")[0];
            Assert.Equal(Requests, run.GetProperty("requests_completed").GetInt32());
            return run.GetProperty("ttft_ms").GetProperty("p99").GetDouble();
        }
        finally
        {
            File.Delete(json);
        }
    }
}
