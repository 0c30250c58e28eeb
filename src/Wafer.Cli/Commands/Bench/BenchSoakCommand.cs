using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Wafer.Bench;
using Wafer.Bench.Soak;
using Wafer.Server.Hosting;

namespace Wafer.Cli.Commands.Bench;

/// <summary><c>wafer bench soak --url URL --duration 1h …</c>: hours of mixed requests, cancellations and malformed bodies
/// against a server while its RSS, GC heap, threads, sockets and KV blocks are sampled; fails if a request is lost or any of
/// those grows.</summary>
internal static class BenchSoakCommand
{
    private const int Cancelled = 130;
    private static readonly Option<string> Url = new("--url") { Description = "Server base URL, e.g. http://127.0.0.1:8080", Required = true };
    private static readonly Option<string> Duration = new("--duration") { Description = "How long to run: 90s, 2m, 1h, 1h30m", DefaultValueFactory = _ => "10m" };
    private static readonly Option<string?> Model = new("--model") { Description = "Model sent in every request (default: the first of /v1/models)" };
    private static readonly Option<string?> ApiKey = new("--api-key") { Description = "Bearer token, also for /metrics (default: $OPENAI_API_KEY, if set)" };
    private static readonly Option<int> Concurrency = new("--concurrency") { Description = "Requests kept in flight", DefaultValueFactory = _ => 4 };
    private static readonly Option<string> SampleInterval = new("--sample-interval") { Description = "How often /metrics is read: 2s, 10s, 1m", DefaultValueFactory = _ => "10s" };
    private static readonly Option<int> MaxTokens = new("--max-tokens") { Description = "Each request's max_tokens is drawn from 1…this", DefaultValueFactory = _ => 48 };
    private static readonly Option<int> MaxPromptWords = new("--max-prompt-words") { Description = "Each prompt's length in words is drawn from 1…this", DefaultValueFactory = _ => 120 };
    private static readonly Option<double> CancelShare = new("--cancel-share") { Description = "Share of streams abandoned after their first token", DefaultValueFactory = _ => 0.1 };
    private static readonly Option<double> BadShare = new("--bad-share") { Description = "Share of malformed requests (must be answered 4xx)", DefaultValueFactory = _ => 0.1 };
    private static readonly Option<double> WarmupShare = new("--warmup-share") { Description = "First share of the run left out of the growth verdict", DefaultValueFactory = _ => 0.2 };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of the request mix", DefaultValueFactory = _ => 0 };
    private static readonly Option<double> TimeoutSeconds = new("--timeout-s") { Description = "Per-request timeout, seconds", DefaultValueFactory = _ => 120 };
    private static readonly Option<string?> Json = new("--json") { Description = "Write the results (counts, samples, verdict) to this JSON file" };

    public static Command Create()
    {
        var command = new Command("soak", "Long load against a server: mixed requests, cancellations and bad bodies; fails on a lost request or growing RSS, heap, threads, sockets or KV blocks");
        foreach (Option option in (Option[])[Url, Duration, Model, ApiKey, Concurrency, SampleInterval, MaxTokens, MaxPromptWords, CancelShare, BadShare, WarmupShare, Seed, TimeoutSeconds, Json])
            command.Add(option);
        command.SetAction(async (r, ct) =>
        {
            try
            {
                return await RunAsync(Options(r), r.GetValue(Json), ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("wafer: bench soak cancelled; no results written").ConfigureAwait(false);
                return Cancelled;
            }
            catch (HttpRequestException e)
            {
                // Before the first request: the server is not there (a failure during the run is a counted request instead).
                await Console.Error.WriteLineAsync($"wafer: error: cannot reach {r.GetValue(Url)}: {e.Message.ReplaceLineEndings(" ")}; start the server or fix --url").ConfigureAwait(false);
                return CliErrors.UserError;
            }
        });
        return command;
    }

    private static SoakOptions Options(ParseResult r)
    {
        var options = new SoakOptions
        {
            Url = r.GetValue(Url)!,
            Model = r.GetValue(Model),
            ApiKey = r.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable("OPENAI_API_KEY"),
            Duration = Span(r.GetValue(Duration)!, "--duration"),
            Concurrency = r.GetValue(Concurrency),
            SampleInterval = Span(r.GetValue(SampleInterval)!, "--sample-interval"),
            MaxTokens = r.GetValue(MaxTokens),
            MaxPromptWords = r.GetValue(MaxPromptWords),
            CancelShare = r.GetValue(CancelShare),
            BadShare = r.GetValue(BadShare),
            WarmupShare = r.GetValue(WarmupShare),
            Seed = r.GetValue(Seed),
            RequestTimeout = TimeSpan.FromSeconds(r.GetValue(TimeoutSeconds)),
        };
        _ = BenchHttpClient.BaseAddress(options.Url);
        options.Validate();
        if (options.WarmupShare is < 0 or >= 1) throw new ArgumentException($"--warmup-share {options.WarmupShare} must be in 0…1 (exclusive of 1)");
        return options;
    }

    private static TimeSpan Span(string text, string option) =>
        KeepAliveDuration.TryParse(text) is { } span && span > TimeSpan.Zero && span != Timeout.InfiniteTimeSpan
            ? span
            : throw new ArgumentException($"{option} '{text}' is not a positive duration; write seconds or 90s, 2m, 1h, 1h30m");

    private static async Task<int> RunAsync(SoakOptions options, string? jsonPath, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Console;
        if (!console.Profile.Capabilities.Interactive) console.Profile.Width = Math.Max(console.Profile.Width, 160);
        using var http = BenchHttpClient.Create(options.Concurrency);
        using var fresh = BenchHttpClient.CreateFresh();
        var runner = new SoakRunner(options, http, fresh, TimeProvider.System);
        console.MarkupLine(Markup.Escape($"wafer bench soak: {options.Url} for {Seconds(options.Duration)}, {options.Concurrency} in flight, " +
            $"{options.CancelShare:P0} cancelled, {options.BadShare:P0} malformed, /metrics every {Seconds(options.SampleInterval)}, seed {options.Seed}"));
        var run = await runner.RunAsync(sample => console.MarkupLine(Markup.Escape(Progress(sample, runner.Tally, options))), cancellationToken).ConfigureAwait(false);
        console.Write(RequestTable(run.Tally));
        console.Write(MetricTable(run.Verdict));
        if (run.Tally.Reconnects > 0)
            console.MarkupLine(Markup.Escape($"reconnects: {run.Tally.Reconnects} (kept-alive connections the server had closed; each request sent again on a fresh one)"));
        if (jsonPath != null)
        {
            await using (var file = File.Create(jsonPath)) SoakResultJson.Write(file, options, run);
            console.MarkupLine(Markup.Escape($"wrote {jsonPath}"));
        }
        if (run.Verdict.Passed)
        {
            console.MarkupLine(Markup.Escape($"soak passed: {run.Tally.Total} requests in {Seconds(run.Elapsed)}, none lost, nothing grew"));
            return 0;
        }
        foreach (string problem in run.Verdict.Problems) console.MarkupLine($"[red]problem:[/] {Markup.Escape(problem)}");
        await Console.Error.WriteLineAsync($"wafer: error: soak failed with {run.Verdict.Problems.Count} problem(s); see above").ConfigureAwait(false);
        return CliErrors.UserError;
    }

    private static string Progress(ServerSample sample, SoakTally tally, SoakOptions options)
    {
        var parts = new List<string> { $"[{sample.Seconds,6:0} s / {options.Duration.TotalSeconds:0} s] {tally.Total} requests, {tally.Failures} failed" };
        if (sample.Error != null) parts.Add($"/metrics: {sample.Error}");
        foreach (var metric in SoakMetric.Watched)
            if (sample[metric.Series] is double v) parts.Add($"{metric.Name} {metric.Format(v)}");
        return string.Join(" · ", parts);
    }

    private static Table RequestTable(SoakTally tally)
    {
        var table = new Table().Title("requests").AddColumns("kind", "result", "count");
        foreach (var (kind, result, count) in tally.Counts()) table.AddRow(kind.Name(), Markup.Escape(result), count.ToString(CultureInfo.InvariantCulture));
        table.AddRow("all", "failed", tally.Failures.ToString(CultureInfo.InvariantCulture));
        return table;
    }

    private static Table MetricTable(SoakVerdict verdict)
    {
        var table = new Table().Title("server").AddColumns("series", "idle before", "min", "max", "early median", "late median", "limit", "idle after", "verdict");
        foreach (var m in verdict.Metrics)
        {
            string F(double? v) => v is double x ? m.Metric.Format(x) : "-";
            string mark = !m.Exported ? "not exported" : m.Problem != null ? "[red]grew[/]" : "ok";
            table.AddRow(Markup.Escape(m.Metric.Name), F(m.IdleStart), F(m.Min), F(m.Max), F(m.EarlyMedian), F(m.LateMedian), F(m.Limit), F(m.IdleEnd), mark);
        }
        return table;
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds >= 120 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0.#} s";
}
