using System.Diagnostics;
using System.Text;
using Wafer.Router.Tests.Support;

namespace Wafer.Router.Tests.Forwarding;

[Collection(Wafer.Router.Tests.Support.InProcessRouterCollection.Name)]
public sealed class OverheadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Router_InstantBackend_AddsLittleLatencyAndSustainsLoad()
    {
        await using var backend = await FakeBackend.StartAsync();
        await using var router = await InProcessRouter.StartAsync(Configs.Router([Configs.Backend("a", backend.Url)], [Configs.Route("m", ["a"], "least-outstanding")]));
        using var direct = new HttpClient { BaseAddress = backend.Url };
        string body = LoadClient.ChatBody("m", "hi", stream: false);
        int count = BenchScale.Requests(300);
        await SequentialAsync(direct, body, 100);
        await SequentialAsync(router.Http, body, 100);
        var directMs = await SequentialAsync(direct, body, count);
        var routedMs = await SequentialAsync(router.Http, body, count);
        double p50Direct = LoadClient.Percentile(directMs, 0.5), p50Routed = LoadClient.Percentile(routedMs, 0.5);
        double p99Direct = LoadClient.Percentile(directMs, 0.99), p99Routed = LoadClient.Percentile(routedMs, 0.99);
        var window = BenchScale.Duration(TimeSpan.FromSeconds(1.5));
        double directRate = await RateAsync(direct, body, window);
        double routedRate = await RateAsync(router.Http, body, window);
        Report.Line(output, $"sequential, {count} requests: p50 direct {p50Direct:0.000} ms, via router {p50Routed:0.000} ms, added {p50Routed - p50Direct:0.000} ms; p99 direct {p99Direct:0.000} ms, via router {p99Routed:0.000} ms");
        Report.Line(output, $"32 concurrent clients for {window.TotalSeconds:0.0} s: direct {directRate:0} req/s, via router {routedRate:0} req/s");
        Report.Line(output, $"router's own wafer_router_added_latency: {await router.MetricAsync("wafer_router_added_latency_milliseconds_sum") / await router.MetricAsync("wafer_router_added_latency_milliseconds_count"):0.000} ms mean");
        Assert.True(routedRate > 0, "no request through the router succeeded under concurrent load");
        if (!BenchScale.Measuring) return; // wall-clock figures: asserted only when measuring on purpose
        Assert.True(p50Routed - p50Direct < 5, $"router adds {p50Routed - p50Direct:0.000} ms at p50");
        Assert.True(routedRate > 300, $"router sustained only {routedRate:0} req/s");
    }

    private static async Task<double[]> SequentialAsync(HttpClient http, string body, int count)
    {
        var ms = new double[count];
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            using var response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            await response.Content.ReadAsByteArrayAsync();
            Assert.True(response.IsSuccessStatusCode);
            ms[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return ms;
    }

    private static async Task<double> RateAsync(HttpClient http, string body, TimeSpan window)
    {
        int done = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            while (watch.Elapsed < window)
            {
                using var response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
                await response.Content.ReadAsByteArrayAsync();
                if (response.IsSuccessStatusCode) Interlocked.Increment(ref done);
            }
        }));
        return done / watch.Elapsed.TotalSeconds;
    }
}
