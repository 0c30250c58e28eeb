using System.Net;
using System.Text;
using System.Text.Json;
using Wafer.Router.Tests.Support;

namespace Wafer.Router.Tests.Forwarding;

[Collection(Wafer.Router.Tests.Support.InProcessRouterCollection.Name)]
public sealed class ForwardingTests
{
    [Fact]
    public async Task Forward_Streaming_PassesEventsThroughAndNamesBackend()
    {
        await using var a = await FakeBackend.StartAsync();
        await using var router = await InProcessRouter.StartAsync(Configs.Router([Configs.Backend("a", a.Url)], [Configs.Route("m", ["a"])]));
        var outcome = await LoadClient.SendAsync(router.Http, "v1/chat/completions", LoadClient.ChatBody("m", "hi", stream: true), stream: true);
        Assert.True(outcome.Ok, outcome.Body);
        Assert.Equal("a", outcome.Backend);
        Assert.Contains("\" upon\"", outcome.Body);
        Assert.Contains("\"finish_reason\":\"stop\"", outcome.Body);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Forward_BackendNamesItsKvPrecision_TheClientSeesIt(bool stream)
    {
        await using var a = await FakeBackend.StartAsync();
        a.Server.Options = a.Server.Options with { KvPrecisionFor = _ => "q8_0" }; // wafer serve --adaptive under pressure
        await using var router = await InProcessRouter.StartAsync(Configs.Router([Configs.Backend("a", a.Url)], [Configs.Route("m", ["a"])]));
        using var response = await router.Http.PostAsync("v1/chat/completions",
            new StringContent(LoadClient.ChatBody("m", "hi", stream: stream), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal("q8_0", response.Headers.GetValues("X-Wafer-KV-Precision").Single());
    }

    [Fact]
    public async Task Forward_BackendAnswers500_RetriedOnAnotherAndEjectionCounted()
    {
        await using var bad = await FakeBackend.StartAsync();
        await using var good = await FakeBackend.StartAsync();
        bad.Status = 500;
        await using var router = await InProcessRouter.StartAsync(Configs.Router(
            [Configs.Backend("bad", bad.Url), Configs.Backend("good", good.Url)],
            [Configs.Route("m", ["bad", "good"], "round-robin", "\"retryBudgetRatio\": 0.5")],
            "\"health\": {\"probeIntervalMs\": 0, \"minimumThroughput\": 2, \"breakMs\": 60000}"));
        for (int i = 0; i < 8; i++)
        {
            var outcome = await LoadClient.SendAsync(router.Http, "v1/chat/completions", LoadClient.ChatBody("m", "hi", stream: i % 2 == 0), stream: i % 2 == 0);
            Assert.True(outcome.Ok, outcome.Body);
            Assert.Equal("good", outcome.Backend);
        }
        Assert.Equal(2, bad.Requests); // the breaker opened after two failures and took it out
        Assert.Equal(1, await router.MetricAsync("wafer_router_ejections"));
        Assert.Equal(2, await router.MetricAsync("wafer_router_retries"));
    }

    [Fact]
    public async Task Forward_BackendUnreachable_RetriedAndProbeBringsItBack()
    {
        await using var good = await FakeBackend.StartAsync();
        await using var flaky = await FakeBackend.StartAsync();
        flaky.Healthy = false;
        await using var router = await InProcessRouter.StartAsync(Configs.Router(
            [Configs.Backend("dead", new Uri("http://127.0.0.1:1")), Configs.Backend("good", good.Url), Configs.Backend("flaky", flaky.Url)],
            [Configs.Route("m", ["dead", "good", "flaky"], "round-robin")],
            "\"health\": {\"probeIntervalMs\": 50}"));
        var flakyBackend = router.Router.Context.State.Backends["flaky"];
        await Wait.UntilAsync(() => !flakyBackend.IsAvailable, "the failing probe never took 'flaky' out of rotation");
        for (int i = 0; i < 6; i++)
            Assert.True((await LoadClient.SendAsync(router.Http, "v1/completions", "{\"model\":\"m\",\"prompt\":\"x\"}", stream: false)).Ok);
        Assert.Equal(0, flaky.Requests);
        flaky.Healthy = true;
        await Wait.UntilAsync(() => flakyBackend.IsAvailable, "the passing probe never brought 'flaky' back");
        for (int i = 0; i < 10 && flaky.Requests == 0; i++)
            Assert.True((await LoadClient.SendAsync(router.Http, "v1/completions", "{\"model\":\"m\",\"prompt\":\"x\"}", stream: false)).Ok);
        Assert.True(flaky.Requests > 0);
    }

    [Fact]
    public async Task Forward_BackendAnswers400_PassedThroughWithoutRetry()
    {
        await using var a = await FakeBackend.StartAsync();
        await using var b = await FakeBackend.StartAsync();
        a.Status = b.Status = 400;
        await using var router = await InProcessRouter.StartAsync(Configs.Router([Configs.Backend("a", a.Url), Configs.Backend("b", b.Url)], [Configs.Route("m", ["a", "b"])]));
        using var response = await router.Http.PostAsync("v1/chat/completions", new StringContent(LoadClient.ChatBody("m", "hi", false), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1, a.Requests + b.Requests);
    }

    [Fact]
    public async Task Forward_UnknownModelOrBadJson_OpenAiErrors()
    {
        await using var a = await FakeBackend.StartAsync();
        await using var router = await InProcessRouter.StartAsync(Configs.Router([Configs.Backend("a", a.Url)], [Configs.Route("m", ["a"])]));
        using var unknown = await router.Http.PostAsync("v1/chat/completions", new StringContent(LoadClient.ChatBody("nope", "hi", false), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var doc = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync());
        Assert.Equal("model_not_found", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        using var bad = await router.Http.PostAsync("v1/chat/completions", new StringContent("{nope", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(0, a.Requests);
    }

    [Fact]
    public async Task HealthAndModels_AnsweredByTheRouter()
    {
        await using var a = await FakeBackend.StartAsync();
        await using var router = await InProcessRouter.StartAsync(Configs.Router([Configs.Backend("a", a.Url, "\"m\", \"n\"")], [Configs.Route("m", ["a"]), Configs.Route("n", ["a"], "prefix-affinity")]));
        using var health = JsonDocument.Parse(await router.Http.GetStringAsync("health"));
        Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
        Assert.Equal("a", health.RootElement.GetProperty("backends")[0].GetProperty("name").GetString());
        using var models = JsonDocument.Parse(await router.Http.GetStringAsync("v1/models"));
        Assert.Equal(["m", "n"], models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).Order());
        Assert.Equal(0, a.Requests);
    }

    [Fact]
    public async Task ConfigFile_Changed_ReloadedAndInvalidEditKeepsPrevious()
    {
        await using var a = await FakeBackend.StartAsync();
        await using var b = await FakeBackend.StartAsync();
        await using var router = await InProcessRouter.StartAsync(Configs.Router([Configs.Backend("a", a.Url)], [Configs.Route("m", ["a"])]));
        await router.ReplaceConfigAsync("{ broken", accepted: false);
        Assert.True((await LoadClient.SendAsync(router.Http, "v1/chat/completions", LoadClient.ChatBody("m", "hi", false), false)).Ok);
        await router.ReplaceConfigAsync(Configs.Router([Configs.Backend("b", b.Url, "\"m2\"")], [Configs.Route("m2", ["b"])]), accepted: true);
        Assert.Contains("m2", await router.Http.GetStringAsync("v1/models"));
        var outcome = await LoadClient.SendAsync(router.Http, "v1/chat/completions", LoadClient.ChatBody("m2", "hi", false), false);
        Assert.True(outcome.Ok);
        Assert.Equal("b", outcome.Backend);
    }

    // It gets past the loader's own checks and then throws something other than InvalidDataException: a break over
    // Polly's maximum of one day is Polly's ValidationException when the backends are built. (A null list was the other
    // case until the loader learned to refuse nulls: RouterConfigFuzzTests.)
    private static string OtherwiseInvalid(string kind, Uri backend) => kind switch
    {
        "break-over-a-day" => Configs.Router([Configs.Backend("a", backend)], [Configs.Route("m", ["a"])], "\"health\": {\"breakMs\": 100000000}"),
        _ => throw new ArgumentException($"unknown case '{kind}'", nameof(kind)),
    };

    [Theory]
    [InlineData("break-over-a-day")]
    public async Task ConfigFile_EditThrowsOtherException_PreviousKeptAndWatcherKeepsWatching(string kind)
    {
        await using var a = await FakeBackend.StartAsync();
        await using var b = await FakeBackend.StartAsync();
        await using var router = await InProcessRouter.StartAsync(Configs.Router([Configs.Backend("a", a.Url)], [Configs.Route("m", ["a"])]));
        string invalid = OtherwiseInvalid(kind, a.Url);
        var premise = Record.Exception(() => Wafer.Router.Hosting.RouterState.Build(Wafer.Router.Configuration.RouterConfigLoader.Parse(invalid, "t.json"), null,
            TimeProvider.System, new Random(1), _ => { }, _ => { }));
        Assert.True(premise is not null and not InvalidDataException, $"case '{kind}' should fail with something other than InvalidDataException, got {premise?.GetType().Name ?? "no error"}");

        await router.ReplaceConfigAsync(invalid, accepted: false);
        var kept = await LoadClient.SendAsync(router.Http, "v1/chat/completions", LoadClient.ChatBody("m", "hi", false), false);
        Assert.True(kept.Ok, kept.Body);
        Assert.Equal("a", kept.Backend);

        await router.ReplaceConfigAsync(Configs.Router([Configs.Backend("b", b.Url, "\"m2\"")], [Configs.Route("m2", ["b"])]), accepted: true);
        var outcome = await LoadClient.SendAsync(router.Http, "v1/chat/completions", LoadClient.ChatBody("m2", "hi", false), false);
        Assert.True(outcome.Ok, outcome.Body);
        Assert.Equal("b", outcome.Backend);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task Forward_BackendRefusesWithRetryAfterSeconds_ClientSeesTheBackendsValue(int status)
    {
        await using var a = await FakeBackend.StartAsync();
        a.Status = status;
        a.RetryAfter = "7";
        await using var router = await InProcessRouter.StartAsync(Configs.Router([Configs.Backend("a", a.Url)], [Configs.Route("m", ["a"])]));
        using var response = await router.Http.PostAsync("v1/chat/completions", new StringContent(LoadClient.ChatBody("m", "hi", false), Encoding.UTF8, "application/json"));
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Forward_BackendRefusesWithRetryAfterDate_ClientSeesSecondsUntilThatDate()
    {
        var now = new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
        await using var a = await FakeBackend.StartAsync();
        a.Status = 429;
        a.RetryAfter = now.AddSeconds(42).ToString("r", System.Globalization.CultureInfo.InvariantCulture);
        await using var router = await InProcessRouter.StartAsync(Configs.Router([Configs.Backend("a", a.Url)], [Configs.Route("m", ["a"])]),
            time: new FixedUtcTimeProvider(now));
        using var response = await router.Http.PostAsync("v1/chat/completions", new StringContent(LoadClient.ChatBody("m", "hi", false), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(42), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Forward_EveryBackendRefusesWithRetryAfter_ClientSeesTheSmallest()
    {
        var fakes = new List<FakeBackend>();
        foreach (var retryAfter in (string[])["9", "3", "5"])
        {
            var fake = await FakeBackend.StartAsync();
            fake.Status = 429;
            fake.RetryAfter = retryAfter;
            fakes.Add(fake);
        }
        try
        {
            await using var router = await InProcessRouter.StartAsync(Configs.Router(
                fakes.Select((f, i) => Configs.Backend($"r{i}", f.Url)), [Configs.Route("m", ["r0", "r1", "r2"], "round-robin", "\"maxAttempts\": 3")]));
            using var response = await router.Http.PostAsync("v1/chat/completions", new StringContent(LoadClient.ChatBody("m", "hi", false), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.Equal([1, 1, 1], fakes.Select(f => f.Requests));
            Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
        }
        finally
        {
            foreach (var f in fakes) await f.DisposeAsync();
        }
    }

    [Fact]
    public async Task Forward_BackendRefusesWithoutRetryAfter_ClientSeesTheDocumentedDefault()
    {
        await using var a = await FakeBackend.StartAsync();
        a.Status = 503;
        await using var router = await InProcessRouter.StartAsync(Configs.Router([Configs.Backend("a", a.Url)], [Configs.Route("m", ["a"])]));
        using var response = await router.Http.PostAsync("v1/chat/completions", new StringContent(LoadClient.ChatBody("m", "hi", false), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(Wafer.Router.Forwarding.BackendRetryAfter.DefaultSeconds), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task RateLimit_KeyOverItsRequestsPerMinute_429WithRetryAfter()
    {
        await using var a = await FakeBackend.StartAsync();
        await using var router = await InProcessRouter.StartAsync(Configs.Router([Configs.Backend("a", a.Url)], [Configs.Route("m", ["a"])],
            "\"rateLimits\": {\"requestsPerMinute\": 2, \"keys\": {\"big\": {\"requestsPerMinute\": 100}}}"));
        async Task<HttpResponseMessage> Send(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(LoadClient.ChatBody("m", "hi", false), Encoding.UTF8, "application/json") };
            request.Headers.Authorization = LoadClient.Bearer(key);
            return await router.Http.SendAsync(request);
        }
        Assert.Equal(HttpStatusCode.OK, (await Send("small")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send("small")).StatusCode);
        using var refused = await Send("small");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(30, (int)refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds);
        Assert.Equal(HttpStatusCode.OK, (await Send("big")).StatusCode);
        Assert.Equal(3, a.Requests);
        Assert.Equal(1, await router.MetricAsync("wafer_router_rate_limited"));
    }
    [Fact]
    public async Task Metrics_AfterTraffic_ExposesTheDocumentedNames()
    {
        await using var a = await FakeBackend.StartAsync();
        await using var router = await InProcessRouter.StartAsync(Configs.Router([Configs.Backend("a", a.Url)], [Configs.Route("m", ["a"], "power-of-two", "\"hedging\": {\"delayMs\": 1000}")]));
        Assert.True((await LoadClient.SendAsync(router.Http, "v1/chat/completions", LoadClient.ChatBody("m", "hi", true), true)).Ok);
        // The request is counted when the router's handler returns, which may be after the client has read the whole
        // stream; scrape until it is (bounded), so a busy machine does not fail this.
        string text = await router.Http.GetStringAsync("metrics");
        for (int i = 0; i < 100 && Metrics.Sum(text, "wafer_router_requests_total") < 1; i++)
        {
            await Task.Delay(100);
            text = await router.Http.GetStringAsync("metrics");
        }
        foreach (var name in (string[])["wafer_router_requests_total", "wafer_router_upstream_requests_total", "wafer_router_added_latency_milliseconds_bucket", "wafer_router_time_to_first_token_milliseconds_bucket",
                     "wafer_process_resident_memory_bytes", "wafer_process_gc_heap_bytes", "wafer_process_threads", "wafer_process_open_fds", "wafer_process_open_sockets"])
            Assert.Contains(name, text);
        Assert.True(Metrics.Sum(text, "wafer_process_resident_memory_bytes") > 1 << 20, "the router's resident memory is not on /metrics");
        Assert.True(Metrics.Sum(text, "wafer_process_open_sockets") >= 1, "the router has a listening socket at least");
        Assert.Equal(1, Metrics.Sum(text, "wafer_router_requests_total"));
    }
}
