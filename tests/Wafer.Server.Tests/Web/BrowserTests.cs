using System.Text.Json;
using Microsoft.Playwright;
using Wafer.Tests;

namespace Wafer.Server.Tests.Web;

/// <summary>The playground and the dashboard in Debian's chromium, driven by Playwright, against real <c>wafer serve</c> and
/// <c>wafer route</c> processes on loopback serving the embedded default model (no fixtures needed). Skipped, saying why,
/// where chromium is not installed (<c>.ci/run</c> installs it).</summary>
public sealed class BrowserTests : IAsyncLifetime
{
    private static readonly string? ChromiumPath = Environment.GetEnvironmentVariable("WAFER_CHROMIUM") is { Length: > 0 } p ? p
        : new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);

    private const float Timeout = 60_000;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-browser-").FullName;

    public async ValueTask InitializeAsync()
    {
        if (ChromiumPath == null) return;
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser != null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<IPage> OpenAsync(Uri url, string path = "")
    {
        if (_browser == null) Assert.Skip("chromium is not installed (apt-get install -y chromium; .ci/run does it), so the browser tests cannot run");
        // Playwright's waitForFunction evaluates strings, which the pages' Content-Security-Policy forbids; the policy's own
        // presence is checked over HTTP (Pages_SentWithAContentSecurityPolicy), and the markup test holds without it.
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 860 }, BypassCSP = true });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(new Uri(url, path).ToString());
        _pageErrors[page] = errors;
        return page;
    }

    private readonly Dictionary<IPage, List<string>> _pageErrors = [];

    private void AssertNoScriptErrors(IPage page) => Assert.Empty(_pageErrors[page]);

    /// <summary>Where a screenshot goes: docs/images when WAFER_UPDATE_SCREENSHOTS=1 (to commit), else a temporary folder.</summary>
    private string Screenshot(string name) =>
        Environment.GetEnvironmentVariable("WAFER_UPDATE_SCREENSHOTS") == "1"
            ? Path.Combine(Repository.Root, "docs", "images", name)
            : Path.Combine(_dir, name);

    private static async Task WaitForModelsAsync(IPage page, int count = 1) =>
        await page.WaitForFunctionAsync($"document.querySelectorAll('#model option').length >= {count}");

    /// <summary>Records the assistant answer's text length at every change of the message list, so a test can see it grow.</summary>
    private static Task WatchAnswerAsync(IPage page) => page.EvaluateAsync("""
        () => {
          window.__lengths = [];
          new MutationObserver(() => {
            const a = document.querySelector('#messages .message.assistant:last-child .content');
            if (a) window.__lengths.push(a.textContent.length);
          }).observe(document.getElementById('messages'), { childList: true, subtree: true, characterData: true });
        }
        """);

    private static async Task SendAsync(IPage page, string text)
    {
        await page.FillAsync("#input", text);
        await page.ClickAsync("#send");
    }

    private static Task<IElementHandle?> AnswerStateAsync(IPage page, string state) =>
        page.WaitForSelectorAsync($"#messages .message.assistant[data-state=\"{state}\"]");

    [Fact]
    public async Task Playground_SendsAMessage_TheAnswerStreamsInTokenByToken()
    {
        await using var server = await WaferServerProcess.ServeWithAsync(null, Repository.DefaultModel);
        var page = await OpenAsync(server.Url);
        await WaitForModelsAsync(page);
        await page.FillAsync("#max_tokens", "120");
        await page.FillAsync("#temperature", "0");
        await page.FillAsync("#system", "You tell short stories.");
        await WatchAnswerAsync(page);

        await SendAsync(page, "Once upon a time");
        await AnswerStateAsync(page, "done");

        var lengths = await page.EvaluateAsync<int[]>("() => window.__lengths");
        var growing = lengths.Where(l => l > 0).Distinct().ToList();
        Assert.True(growing.Count >= 3, $"the answer appeared in {growing.Count} step(s) ({string.Join(",", growing)}), not token by token");
        Assert.Equal(growing.Order().ToList(), growing);
        string stats = await page.InnerTextAsync("#messages .message.assistant .stats");
        Assert.Matches(@"^\d+ tokens · [\d.]+ tokens/s · TTFT \d+ ms · stories260K-Q8_0", stats);
        Assert.Contains("\"system\"", await page.TextContentAsync("#raw-request"));
        AssertNoScriptErrors(page);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("playground.png") });

        // Regenerate replaces the answer; edit-and-resend puts the question back in the box and drops what followed it.
        await page.ClickAsync("#messages .message.assistant button.regenerate");
        await AnswerStateAsync(page, "done");
        Assert.Equal(2, await page.Locator("#messages .message").CountAsync());
        await page.ClickAsync("#messages .message.user button.edit");
        Assert.Equal("Once upon a time", await page.InputValueAsync("#input"));
        Assert.Equal(0, await page.Locator("#messages .message").CountAsync());
    }

    [Fact]
    public async Task Playground_StopMidStream_TheServerStopsGenerating()
    {
        await using var server = await WaferServerProcess.ServeWithAsync(null, Repository.DefaultModel, "--ctx", "2048");
        var page = await OpenAsync(server.Url);
        await WaitForModelsAsync(page);
        await page.FillAsync("#max_tokens", "2000");
        await page.CheckAsync("#ignore_eos");
        // The tiny default model writes 2,000 tokens in about a second, so on a slow or busy machine the Stop click can come after
        // the server has generated them all (the browser still rendering the stream, or the answer already done). Such a try shows
        // nothing about stopping; it is made again from a cleared chat, up to 5 times. A server that went on generating after the
        // client went away would finish all 2,000 tokens in every try and fail.
        var tries = new List<string>();
        for (int attempt = 0; attempt < 5; attempt++)
        {
            if (attempt > 0) await page.ClickAsync("#clear");
            double before = await server.MetricAsync("wafer_generation_tokens_total");
            await SendAsync(page, "Once upon a time");
            await page.WaitForFunctionAsync("() => (document.querySelector('#messages .message.assistant .content')?.textContent.length ?? 0) > 0");
            await page.ClickAsync("#stop");
            var answer = await page.WaitForSelectorAsync("#messages .message.assistant[data-state=\"stopped\"], #messages .message.assistant[data-state=\"done\"]");
            string state = await answer!.GetAttributeAsync("data-state") ?? "";
            double running = -1;
            for (int i = 0; i < 100 && (running = await server.MetricAsync("wafer_requests_running")) != 0; i++) await Task.Delay(100);
            Assert.Equal(0, running);
            double generated = await server.MetricAsync("wafer_generation_tokens_total") - before;
            tries.Add($"{state} after {generated} tokens");
            if (state == "stopped" && generated < 2000) break;
        }
        Assert.True(tries[^1].StartsWith("stopped", StringComparison.Ordinal) && !tries[^1].EndsWith(" 2000 tokens", StringComparison.Ordinal),
            $"no try stopped the server mid-answer: {string.Join("; ", tries)}");
        Assert.DoesNotContain(" 0 tokens", tries[^1]);
        Assert.Contains("stopped", await page.InnerTextAsync("#messages .message.assistant .stats"));
        Assert.False(await page.IsDisabledAsync("#send"));
    }

    [Fact]
    public async Task Playground_SwitchModels_TheAnswerComesFromTheChosenOne()
    {
        await using var server = await WaferServerProcess.ServeWithAsync(null, "--model", "alpha=" + Repository.DefaultModel, "--model", "beta=" + Repository.DefaultModel);
        var page = await OpenAsync(server.Url);
        await WaitForModelsAsync(page, 2);

        await page.SelectOptionAsync("#model", "beta");
        await page.FillAsync("#max_tokens", "8");
        await SendAsync(page, "Hello");
        await AnswerStateAsync(page, "done");

        Assert.Contains("· beta · finish: ", await page.InnerTextAsync("#messages .message.assistant .stats"));
        Assert.Contains("\"model\": \"beta\"", await page.TextContentAsync("#raw-request"));
        Assert.True(await server.MetricAsync("wafer_generation_tokens_total{otel_scope_name=\"Wafer.Engine\",model=\"beta\"}") > 0);
        Assert.Equal(0, await server.MetricAsync("wafer_generation_tokens_total{otel_scope_name=\"Wafer.Engine\",model=\"alpha\"}"));
    }

    [Fact]
    public async Task Playground_JsonSchemaAndToolCalls_SentAsTheServerTakesThem_RawShown()
    {
        await using var server = await WaferServerProcess.ServeWithAsync(null, Repository.DefaultModel);
        var page = await OpenAsync(server.Url);
        await WaitForModelsAsync(page);
        await page.FillAsync("#max_tokens", "200");
        await page.FillAsync("#temperature", "0"); // greedy: the same constrained answer every run

        await page.SelectOptionAsync("#mode", "json_schema");
        Assert.True(await page.IsVisibleAsync("#schema"));
        // Bounded strings and numbers, so the constrained answer ends within max_tokens whatever the model would ramble.
        await page.FillAsync("#schema", """{"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}, "age": {"enum": [3, 4, 5]}}, "required": ["name", "age"]}""");
        await SendAsync(page, "Who is Lily?");
        await AnswerStateAsync(page, "done");
        // Constrained decoding: the answer is the schema's object, whatever this story model would rather say.
        using (var doc = JsonDocument.Parse(await page.TextContentAsync("#messages .message.assistant .content") ?? ""))
        {
            Assert.Equal(JsonValueKind.String, doc.RootElement.GetProperty("name").ValueKind);
            Assert.Equal(JsonValueKind.Number, doc.RootElement.GetProperty("age").ValueKind);
        }
        Assert.Contains("\"response_format\"", await page.TextContentAsync("#raw-request"));
        Assert.Contains("chat.completion.chunk", await page.TextContentAsync("#raw-response"));

        await page.ClickAsync("#clear");
        await page.SelectOptionAsync("#mode", "tools");
        await page.FillAsync("#tools", """[{"type": "function", "function": {"name": "get_weather", "description": "The weather in a city", "parameters": {"type": "object", "properties": {"city": {"type": "string", "enum": ["Paris", "London"]}}, "required": ["city"]}}}]""");
        await page.SelectOptionAsync("#tool_choice", "required");
        await SendAsync(page, "What is the weather in Paris?");
        await AnswerStateAsync(page, "done");
        Assert.StartsWith("get_weather({", await page.InnerTextAsync("#messages .message.assistant .calls"));
        Assert.EndsWith("finish: tool_calls", await page.InnerTextAsync("#messages .message.assistant .stats"));
        Assert.Contains("\"tool_choice\": \"required\"", await page.TextContentAsync("#raw-request"));
        Assert.Contains("tool_calls", await page.TextContentAsync("#raw-response"));
        AssertNoScriptErrors(page);
    }

    [Fact]
    public async Task Playground_ApiKey_AskedFor_KeptInTheSessionOnly()
    {
        await using var server = await WaferServerProcess.ServeWithAsync(null, Repository.DefaultModel, "--api-key", "s3cret");
        var page = await OpenAsync(server.Url);
        await page.WaitForSelectorAsync("#key-panel:not([hidden])");
        Assert.Contains("API key", await page.InnerTextAsync("#error"));

        await page.FillAsync("#api-key", "s3cret");
        await page.ClickAsync("#key-save");
        await WaitForModelsAsync(page);
        await page.FillAsync("#max_tokens", "8");
        await SendAsync(page, "Hello");
        await AnswerStateAsync(page, "done");

        Assert.Equal("s3cret", await page.EvaluateAsync<string>("() => sessionStorage.getItem('wafer.apiKey')"));
        Assert.Equal(0, await page.EvaluateAsync<int>("() => localStorage.length"));
    }

    [Fact]
    public async Task Playground_AnswerWithMarkup_IsShownAsText_NeverRun()
    {
        await using var server = await WaferServerProcess.ServeWithAsync(null, Repository.DefaultModel);
        var page = await OpenAsync(server.Url);
        await WaitForModelsAsync(page);
        // The model's answer, as the network delivers it: markup a hostile or confused model could write.
        string answer = "Look: <script>window.__pwned = 1</script> <img src=x onerror=\"window.__pwned = 2\"> **bold** and `<b>code</b>`\n```html\n<script>alert(1)</script>\n```";
        string Chunk(object o) => "data: " + JsonSerializer.Serialize(o) + "\n\n";
        string body = Chunk(new { choices = new[] { new { index = 0, delta = new { role = "assistant", content = "" } } } })
            + string.Concat(answer.Chunk(7).Select(part => Chunk(new { choices = new[] { new { index = 0, delta = new { content = new string(part) } } } })))
            + Chunk(new { choices = new[] { new { index = 0, delta = new { }, finish_reason = "stop" } } }) + "data: [DONE]\n\n";
        await page.RouteAsync("**/v1/chat/completions", route => route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/event-stream", Body = body }));

        await SendAsync(page, "Say something dangerous");
        await AnswerStateAsync(page, "done");

        var content = page.Locator("#messages .message.assistant .content");
        string text = await content.InnerTextAsync();
        Assert.Contains("<script>window.__pwned = 1</script>", text);
        Assert.Contains("<img src=x onerror=", text);
        Assert.Equal(0, await content.Locator("script, img, b").CountAsync());
        Assert.Equal("bold", await content.Locator("strong").InnerTextAsync());
        Assert.Equal("<script>alert(1)</script>", await content.Locator("pre code").InnerTextAsync());
        Assert.Null(await page.EvaluateAsync<int?>("() => window.__pwned ?? null"));
        AssertNoScriptErrors(page);
    }

    [Fact]
    public async Task Pages_SentWithAContentSecurityPolicy_ScriptsFromTheServerOnly()
    {
        await using var server = await WaferServerProcess.ServeWithAsync(null, Repository.DefaultModel, "--api-key", "k");
        foreach (string path in (string[])["", "dashboard", "ui/playground.js", "ui/vendor/uplot/uPlot.iife.min.js"])
        {
            using var r = await server.Http.GetAsync(path); // no key: the pages are open, the API is not
            Assert.Equal(System.Net.HttpStatusCode.OK, r.StatusCode);
            Assert.Contains("script-src 'self'", r.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
        }
        using (var missing = await server.Http.GetAsync("ui/nothing.js")) Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        using (var api = await server.Http.GetAsync("v1/models")) Assert.Equal(System.Net.HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task Dashboard_ChartsUpdate_WhileBenchServeRuns()
    {
        await using var server = await WaferServerProcess.ServeWithAsync(null, Repository.DefaultModel);
        var page = await OpenAsync(server.Url, "dashboard");
        await page.WaitForFunctionAsync("() => Number(document.body.dataset.scrapes || 0) >= 2");
        Assert.Equal("server", await page.GetAttributeAsync("body", "data-kind"));
        int samplesBefore = int.Parse((await page.GetAttributeAsync("[data-chart=tokens]", "data-samples"))!, System.Globalization.CultureInfo.InvariantCulture);

        var load = Task.Run(() => WaferProcess.Run(TimeSpan.FromSeconds(180), "bench", "serve", "--url", server.Url.ToString().TrimEnd('/'), "--model", "stories260K-Q8_0",
            "--requests", "40", "--concurrency", "4", "--output-tokens", "64", "--ignore-eos", "--warmup", "0"));
        double seenOut = 0, seenRunning = 0;
        while (!load.IsCompleted)
        {
            var tokens = JsonSerializer.Deserialize<Dictionary<string, double?>>((await page.GetAttributeAsync("[data-chart=tokens]", "data-last"))!)!;
            var requests = JsonSerializer.Deserialize<Dictionary<string, double?>>((await page.GetAttributeAsync("[data-chart=requests]", "data-last"))!)!;
            seenOut = Math.Max(seenOut, tokens.GetValueOrDefault("out stories260K-Q8_0") ?? 0);
            seenRunning = Math.Max(seenRunning, requests.GetValueOrDefault("running stories260K-Q8_0") ?? 0);
            await Task.Delay(200);
        }
        var r = await load;
        Assert.True(r.ExitCode == 0, r.StdErr);
        // The chart of the newest scrape after the load has every answered request in its total.
        await page.WaitForFunctionAsync("() => Number(document.querySelector('#sum-requests b').textContent) >= 40");

        Assert.True(seenOut > 0, "the tokens-out chart never showed generation while the load ran");
        Assert.True(seenRunning > 0, "the requests chart never showed a running request while the load ran");
        int samplesAfter = int.Parse((await page.GetAttributeAsync("[data-chart=tokens]", "data-samples"))!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(samplesAfter > samplesBefore, $"{samplesBefore} → {samplesAfter} samples");
        Assert.Equal(7, await page.Locator(".card[data-chart]").CountAsync());
        Assert.True(await page.Locator(".card[data-chart] canvas").CountAsync() >= 7, "a chart card has no uPlot canvas");
        var ttft = JsonSerializer.Deserialize<Dictionary<string, double?>>((await page.GetAttributeAsync("[data-chart=ttft]", "data-last"))!)!;
        Assert.Contains(ttft.Keys, k => k.StartsWith("p99", StringComparison.Ordinal));
        AssertNoScriptErrors(page);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("dashboard.png"), FullPage = true });
    }

    [Fact]
    public async Task Router_PlaygroundChatsThroughItsRoutes_DashboardShowsBackends()
    {
        await using var backend = await WaferServerProcess.ServeWithAsync(null, Repository.DefaultModel, "--alias", "stories");
        string config = Path.Combine(_dir, "router.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            backends = new[] { new { name = "r0", url = backend.Url.ToString().TrimEnd('/'), models = new[] { "stories" } } },
            routes = new[] { new { model = "stories", backends = new[] { "r0" }, policy = "least-outstanding" } },
        }));
        await using var router = await WaferServerProcess.RouteAsync(config);

        var page = await OpenAsync(router.Url);
        await WaitForModelsAsync(page);
        await page.FillAsync("#max_tokens", "8");
        await SendAsync(page, "Hello");
        await AnswerStateAsync(page, "done");
        Assert.Contains("· stories", await page.InnerTextAsync("#messages .message.assistant .stats"));

        var dashboard = await OpenAsync(router.Url, "dashboard");
        await dashboard.WaitForFunctionAsync("() => Number(document.body.dataset.scrapes || 0) >= 2");
        Assert.Equal("router", await dashboard.GetAttributeAsync("body", "data-kind"));
        Assert.Contains("available, breaker Closed", await dashboard.InnerTextAsync("#backend-r0"));
        Assert.Equal(1, await dashboard.Locator("[data-chart=router-hedges]").CountAsync());
        AssertNoScriptErrors(dashboard);
    }
}
