using Wafer.Router.Tests.Support;

namespace Wafer.Router.Tests.Forwarding;

[Collection(Wafer.Router.Tests.Support.InProcessRouterCollection.Name)]
public sealed class HedgingTests(ITestOutputHelper output)
{
    /// <summary>Share of requests whose first token each fake backend delays.</summary>
    private const double StragglerShare = 0.04;

    private static readonly TimeSpan Straggle = TimeSpan.FromMilliseconds(600);

    [Fact]
    public async Task Hedging_StragglingFirstTokens_P99AtLeastThreeTimesBetterForUnderTenPercentExtra()
    {
        int requests = BenchScale.Requests(300);
        var backends = new List<FakeBackend>();
        for (int i = 0; i < 3; i++)
        {
            var fake = await FakeBackend.StartAsync();
            var random = new Random(100 + i);
            var straggles = Enumerable.Range(0, 20 * requests).Select(_ => random.NextDouble() < StragglerShare).ToArray();
            fake.FirstTokenDelay = n => straggles[n % straggles.Length] ? Straggle : TimeSpan.FromMilliseconds(2);
            backends.Add(fake);
        }
        try
        {
            string models = "\"plain\", \"hedged\", \"adaptive\"";
            var names = new[] { "r0", "r1", "r2" };
            await using var router = await InProcessRouter.StartAsync(Configs.Router(
                names.Select((n, i) => Configs.Backend(n, backends[i].Url, models)),
                [
                    Configs.Route("plain", names, "least-outstanding"),
                    Configs.Route("hedged", names, "least-outstanding", "\"hedging\": {\"delayMs\": 50, \"budgetRatio\": 0.1}"),
                    Configs.Route("adaptive", names, "least-outstanding", "\"hedging\": {\"adaptive\": true, \"percentile\": 0.95, \"minDelayMs\": 20, \"budgetRatio\": 0.1}"),
                ]));
            var plain = await RunAsync(router, backends, "plain", requests);
            var hedged = await RunAsync(router, backends, "hedged", requests);
            var adaptive = await RunAsync(router, backends, "adaptive", requests);
            Report.Line(output, $"requests per mode: {requests}, concurrency 6, stragglers {StragglerShare:P0} at {Straggle.TotalMilliseconds} ms");
            foreach (var (name, r) in new[] { ("no hedging", plain), ("hedging, fixed 50 ms", hedged), ("hedging, adaptive p95", adaptive) })
                Report.Line(output, $"{name,-22} p50 {r.P50,6:0.0} ms  p99 {r.P99,6:0.0} ms  max {r.Max,6:0.0} ms  extra requests {r.Extra:P1}  cancelled at backends {r.Cancelled}");
            if (BenchScale.Measuring) Assert.True(plain.P99 >= 3 * hedged.P99, $"p99 without hedging {plain.P99:0.0} ms, with {hedged.P99:0.0} ms");
            Assert.True(hedged.Extra <= 0.10, $"extra requests {hedged.Extra:P1}");
            Assert.True(adaptive.Extra <= 0.10 + 3.0 / requests, $"adaptive extra requests {adaptive.Extra:P1}");
            Assert.Equal(0, plain.Failures + hedged.Failures + adaptive.Failures);
            Assert.True(hedged.Cancelled > 0, "losing hedges are cancelled at the backend");
            Assert.True(await router.MetricAsync("wafer_router_hedges_won") > 0);
        }
        finally
        {
            foreach (var b in backends) await b.DisposeAsync();
        }
    }

    private sealed record Result(double P50, double P99, double Max, double Extra, int Failures, int Cancelled);

    private static async Task<Result> RunAsync(InProcessRouter router, List<FakeBackend> backends, string model, int requests)
    {
        int sentBefore = backends.Sum(b => b.Requests);
        int cancelledBefore = backends.Sum(b => b.Cancelled);
        var ttft = new double[requests];
        int next = -1, failures = 0;
        string body = LoadClient.ChatBody(model, "tell me a story", stream: true);
        await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var outcome = await LoadClient.SendAsync(router.Http, "v1/chat/completions", body, stream: true);
                if (!outcome.Ok) Interlocked.Increment(ref failures);
                ttft[i] = outcome.FirstTokenMs;
            }
        }));
        // Cancelled losers are counted when their handlers return; wait for every request the backends got to end.
        await Wait.UntilAsync(() => backends.Sum(b => b.Ended) == backends.Sum(b => b.Requests), "the backends never finished the requests they got");
        int sent = backends.Sum(b => b.Requests) - sentBefore;
        return new Result(LoadClient.Percentile(ttft, 0.5), LoadClient.Percentile(ttft, 0.99), ttft.Max(), (double)sent / requests - 1, failures,
            backends.Sum(b => b.Cancelled) - cancelledBefore);
    }
}
