using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Wafer.Router.Hosting;
using Wafer.Router.Tests.Support;

namespace Wafer.Router.Tests.Hosting;

/// <summary>The router's spans in OpenTelemetry's in-memory exporter: the client's traceparent continues through the router's
/// HTTP span and an attempt span per backend request to the backend's own HTTP span (its traceparent is the attempt's).</summary>
public sealed class RouterTracingTests
{
    [Fact]
    public async Task Request_TraceparentFlowsClientRouterAttemptBackend()
    {
        var spans = new List<Activity>();
        await using var backend = await FakeBackend.StartAsync();
        string path = Path.Combine(Path.GetTempPath(), $"wafer-router-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, Configs.Router([Configs.Backend("b0", backend.Url)], [Configs.Route("m", ["b0"])]));
        await using var router = await WaferRouter.StartAsync(new RouterOptions
        {
            ConfigPath = path,
            Port = 0,
            ConfigureTracing = t => t.AddInMemoryExporter(spans),
        }, logging => logging.ClearProviders());
        using var http = new HttpClient { BaseAddress = router.Url, Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            var trace = ActivityTraceId.CreateRandom();
            var client = ActivitySpanId.CreateRandom();
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
            {
                Content = JsonContent.Create(new { model = "m", messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 3, stream = true }),
            };
            request.Headers.Add("traceparent", $"00-{trace}-{client}-01");
            using (var response = await http.SendAsync(request))
            {
                Assert.True(response.IsSuccessStatusCode);
                await response.Content.ReadAsStringAsync();
            }

            List<Activity> Trace()
            {
                lock (spans) return [.. spans.Where(s => s.TraceId == trace)];
            }
            int routerPort = router.Url.Port, backendPort = backend.Url.Port;
            bool OnPort(Activity s, int port) => s.Kind == ActivityKind.Server && s.GetTagItem("server.port") is int p && p == port;
            for (int i = 0; i < 100 && !(Trace().Any(s => OnPort(s, routerPort)) && Trace().Any(s => OnPort(s, backendPort))); i++) await Task.Delay(50);
            var all = Trace();
            var routerSpan = Assert.Single(all, s => OnPort(s, routerPort));
            Assert.Equal(client, routerSpan.ParentSpanId);
            var attempt = Assert.Single(all, s => s.Source.Name == RouterTracing.SourceName && s.DisplayName == "attempt b0");
            Assert.Equal(routerSpan.SpanId, attempt.ParentSpanId);
            Assert.Equal(ActivityKind.Client, attempt.Kind);
            Assert.Equal(false, attempt.GetTagItem("wafer.hedge"));
            Assert.Equal(200, attempt.GetTagItem("http.response.status_code"));
            var backendSpan = Assert.Single(all, s => OnPort(s, backendPort));
            Assert.Equal(attempt.SpanId, backendSpan.ParentSpanId);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
