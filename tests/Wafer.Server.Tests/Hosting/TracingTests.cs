using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Wafer.Models.Tests.Architectures;
using Wafer.Server.Hosting;

namespace Wafer.Server.Tests.Hosting;

/// <summary>Tracing of a real in-process server into OpenTelemetry's in-memory exporter: the HTTP span continues the client's
/// traceparent, the GenAI span under it carries the GenAI attributes, the engine's queue, prefill and decode spans hang under
/// that, and nothing is one span per token.</summary>
public sealed class TracingTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-tracing-").FullName;
    private readonly List<Activity> _spans = [];
    private WaferServer _server = null!;
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await WaferServer.StartAsync(new ServerOptions
        {
            ModelPath = TinyModel.Write(_dir, "llama", byteFallback: true),
            Port = 0,
            Threads = 1,
            MaxSequences = 2,
            ChatTemplate = "chatml",
            ConfigureTracing = t => t.AddInMemoryExporter(_spans),
        }, logging => logging.ClearProviders());
        await _server.ModelLoaded.WaitAsync(TimeSpan.FromSeconds(60));
        _http = new HttpClient { BaseAddress = _server.Url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private List<Activity> Spans(ActivityTraceId trace)
    {
        lock (_spans) return [.. _spans.Where(s => s.TraceId == trace)];
    }

    /// <summary>Waits (bounded) for the trace's spans: the HTTP span ends after the response's last byte reached the client.</summary>
    private async Task<List<Activity>> TraceAsync(ActivityTraceId trace)
    {
        for (int i = 0; i < 100 && !Spans(trace).Any(s => s.Kind == ActivityKind.Server); i++) await Task.Delay(50);
        return Spans(trace);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Chat_SpansFollowTheClientsTraceparent_WithGenAiAttributesAndEngineChildren(bool stream)
    {
        var trace = ActivityTraceId.CreateRandom();
        var clientSpan = ActivitySpanId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonContent.Create(new { messages = new[] { new { role = "user", content = "t1" } }, max_tokens = 4, temperature = 0, stream, ignore_eos = true }),
        };
        request.Headers.Add("traceparent", $"00-{trace}-{clientSpan}-01");
        using (var response = await _http.SendAsync(request))
        {
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            await response.Content.ReadAsStringAsync();
        }

        var spans = await TraceAsync(trace);
        var http = Assert.Single(spans, s => s.Kind == ActivityKind.Server);
        Assert.Equal(clientSpan, http.ParentSpanId);
        var chat = Assert.Single(spans, s => s.Source.Name == ServerTracing.SourceName);
        Assert.Equal(http.SpanId, chat.ParentSpanId);
        Assert.StartsWith("chat ", chat.DisplayName);
        Assert.Equal("chat", chat.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(chat.DisplayName["chat ".Length..], chat.GetTagItem("gen_ai.request.model"));
        Assert.True((int)chat.GetTagItem("gen_ai.usage.input_tokens")! > 10); // the template's markup, byte by byte
        Assert.Equal(4, chat.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(["length"], (string[])chat.GetTagItem("gen_ai.response.finish_reasons")!);
        Assert.Equal(4, chat.GetTagItem("gen_ai.request.max_tokens"));

        var engine = spans.Where(s => s.Source.Name == Engine.Telemetry.EngineTracing.SourceName).ToList();
        Assert.Equal(["wafer.queue", "wafer.prefill", "wafer.decode"], engine.OrderBy(s => s.StartTimeUtc).ThenBy(s => s.DisplayName != "wafer.queue").Select(s => s.DisplayName));
        Assert.All(engine, s => Assert.Equal(chat.SpanId, s.ParentSpanId));
        var prefill = engine.Single(s => s.DisplayName == "wafer.prefill");
        Assert.NotEmpty(prefill.Events);
        Assert.All(prefill.Events, e => Assert.Equal("chunk", e.Name));
        Assert.Equal(4, engine.Single(s => s.DisplayName == "wafer.decode").GetTagItem("wafer.output_tokens"));
        // The engine's spans follow each other without gap or overlap (one clock reading maps them all), chunks inside prefill.
        var queue = engine.Single(s => s.DisplayName == "wafer.queue");
        var decode = engine.Single(s => s.DisplayName == "wafer.decode");
        Assert.Equal(queue.StartTimeUtc + queue.Duration, prefill.StartTimeUtc);
        Assert.Equal(prefill.StartTimeUtc + prefill.Duration, decode.StartTimeUtc);
        Assert.All(prefill.Events, e => Assert.InRange(e.Timestamp.UtcDateTime, prefill.StartTimeUtc, prefill.StartTimeUtc + prefill.Duration));
    }

    [Fact]
    public async Task Metrics_And_Health_AreNotTraced_AndARequestWithoutTraceparentStartsItsOwnTrace()
    {
        await _http.GetStringAsync("metrics");
        await _http.GetStringAsync("health");
        using var response = await _http.PostAsJsonAsync("v1/completions", new { prompt = "t1 t2", max_tokens = 2 });
        Assert.True(response.IsSuccessStatusCode);
        await response.Content.ReadAsStringAsync();
        // ASP.NET Core's instrumentation hears every app in this process: keep to this server's port.
        int port = _server.Url.Port;
        List<Activity> Ours()
        {
            lock (_spans) return [.. _spans.Where(s => s.Kind == ActivityKind.Server && s.GetTagItem("server.port") is int p && p == port)];
        }
        for (int i = 0; i < 100 && Ours().Count == 0; i++) await Task.Delay(50);
        lock (_spans)
        {
            var server = Ours();
            var http = Assert.Single(server);
            Assert.Equal("/v1/completions", http.GetTagItem("url.path"));
            Assert.Equal(default, http.ParentSpanId);
            Assert.Contains(_spans, s => s.DisplayName.StartsWith("text_completion ", StringComparison.Ordinal) && s.TraceId == http.TraceId);
        }
    }

    [Theory]
    [InlineData(null, null, null, false)]
    [InlineData("http://127.0.0.1:4317", null, null, true)]
    [InlineData(null, "otlp", null, true)]
    [InlineData(null, "none", null, false)]
    [InlineData("http://127.0.0.1:4317", null, "true", false)]
    public void Configured_FollowsTheStandardVariables(string? endpoint, string? exporter, string? disabled, bool expected)
    {
        var env = new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint, ["OTEL_TRACES_EXPORTER"] = exporter, ["OTEL_SDK_DISABLED"] = disabled };
        Assert.Equal(expected, Wafer.OpenAi.Hosting.HostTracing.Configured(name => env.GetValueOrDefault(name)));
    }
}
