using System.Net.Http.Headers;
using System.Text;
using Wafer.Router.Tests.Support;

namespace Wafer.Router.Tests.Hosting;

/// <summary>Tracing as deployed: a real <c>wafer route</c> and a real <c>wafer serve</c>, configured only by the standard
/// <c>OTEL_*</c> variables, export over OTLP/HTTP protobuf to a receiver on loopback; a chat request with a client's
/// <c>traceparent</c> arrives as one trace from the client's span through the router's HTTP span and its attempt to the
/// replica's HTTP span, its GenAI span and the engine's queue, prefill and decode spans.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task Chat_ThroughRouterAndReplica_OneTraceExportedOverOtlp()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var env = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Url.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100", // export each batch after 0.1 s instead of 5 s
        };
        await using var replica = await WaferServerProcess.ServeWithAsync(env, Repository.DefaultModel, "--alias", "stories");
        string path = Path.Combine(Path.GetTempPath(), $"wafer-router-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, Configs.Router([Configs.Backend("r0", replica.Url, "\"stories\"")], [Configs.Route("stories", ["r0"])]));
        try
        {
            await using var router = await WaferServerProcess.RouteAsync(path, env);
            string traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()), clientSpan = traceId[..16];
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
            {
                Content = new StringContent("""{"model": "stories", "messages": [{"role": "user", "content": "Once upon a time"}], "max_tokens": 8, "temperature": 0}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("traceparent", $"00-{traceId}-{clientSpan}-01");
            using var response = await router.Http.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

            // Wait (bounded) until both processes have exported every span of the request: they come in separate batches (a span
            // is exported when it ends; the HTTP spans end after the engine's).
            using var bound = new CancellationTokenSource(Wait.Generous);
            List<OtlpSpan> spans;
            while (true)
            {
                spans = [.. receiver.Spans().Where(s => s.TraceId == traceId)];
                bool complete = spans.Any(s => s.Service == "wafer-route" && s.Kind == 2) && spans.Any(s => s.Name == "attempt r0")
                    && spans.Any(s => s.Service == "wafer-serve" && s.Kind == 2) && spans.Any(s => s.Name == "chat stories")
                    && ((string[])["wafer.queue", "wafer.prefill", "wafer.decode"]).All(n => spans.Any(s => s.Name == n));
                if (complete) break;
                await Task.Delay(50, bound.Token);
            }

            var routerHttp = spans.Single(s => s.Service == "wafer-route" && s.Kind == 2);
            Assert.Equal(clientSpan, routerHttp.ParentSpanId);
            var attempt = spans.Single(s => s.Service == "wafer-route" && s.Name == "attempt r0");
            Assert.Equal(3, attempt.Kind);
            Assert.Equal("stories", attempt.Attributes["gen_ai.request.model"]);
            Assert.True(Descends(spans, attempt, routerHttp), "the attempt is not inside the router's HTTP span");
            var replicaHttp = spans.Single(s => s.Service == "wafer-serve" && s.Kind == 2);
            Assert.Equal(attempt.SpanId, replicaHttp.ParentSpanId);
            var chat = spans.Single(s => s.Service == "wafer-serve" && s.Name == "chat stories");
            Assert.Equal(replicaHttp.SpanId, chat.ParentSpanId);
            Assert.Equal("chat", chat.Attributes["gen_ai.operation.name"]);
            Assert.Equal("stories", chat.Attributes["gen_ai.request.model"]);
            Assert.Equal("8", chat.Attributes["gen_ai.usage.output_tokens"]);
            Assert.True(int.Parse(chat.Attributes["gen_ai.usage.input_tokens"], System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.Equal("length", chat.Attributes["gen_ai.response.finish_reasons"]);
            foreach (string name in (string[])["wafer.queue", "wafer.prefill", "wafer.decode"])
                Assert.Equal(chat.SpanId, spans.Single(s => s.Name == name).ParentSpanId);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static bool Descends(IReadOnlyList<OtlpSpan> spans, OtlpSpan span, OtlpSpan ancestor)
    {
        for (var at = span; at != null; at = spans.FirstOrDefault(s => s.SpanId == at.ParentSpanId))
            if (at.ParentSpanId == ancestor.SpanId) return true;
        return false;
    }
}
