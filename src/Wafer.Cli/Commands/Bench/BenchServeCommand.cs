using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Wafer.Bench;

namespace Wafer.Cli.Commands.Bench;

/// <summary><c>wafer bench serve --url URL --model NAME …</c>: load-tests any OpenAI-compatible server and reports TTFT, ITL, throughput and goodput.</summary>
internal static class BenchServeCommand
{
    private const int Cancelled = 130; // the shell's code for Ctrl+C
    private static readonly Option<string> Url = new("--url") { Description = "Server base URL, e.g. http://127.0.0.1:8080 (a trailing /v1 is fine)", Required = true };
    private static readonly Option<string> Model = new("--model") { Description = "Model name sent in every request", Required = true };
    private static readonly Option<string?> ApiKey = new("--api-key") { Description = "Bearer token (default: $OPENAI_API_KEY, if set)" };
    private static readonly Option<string> Endpoint = new("--endpoint") { Description = "chat (/v1/chat/completions) or completions (/v1/completions)", DefaultValueFactory = _ => "chat" };
    private static readonly Option<int> Requests = new("--requests") { Description = "Requests per load level", DefaultValueFactory = _ => 100 };
    private static readonly Option<int?> Concurrency = new("--concurrency") { Description = "Closed loop: requests kept in flight" };
    private static readonly Option<double?> Rate = new("--rate") { Description = "Open loop: Poisson arrivals, requests per second" };
    private static readonly Option<string?> Sweep = new("--sweep") { Description = "Several levels in one run, e.g. 1,4,16,64 (concurrencies, or rates with --sweep-over rate)" };
    private static readonly Option<string> SweepOver = new("--sweep-over") { Description = "What --sweep varies: concurrency or rate", DefaultValueFactory = _ => "concurrency" };
    private static readonly Option<string> PromptTokens = new("--prompt-tokens") { Description = "Prompt length in tokens, MEAN±SPREAD", DefaultValueFactory = _ => "200±50" };
    private static readonly Option<int> OutputTokens = new("--output-tokens") { Description = "max_tokens of every request", DefaultValueFactory = _ => 128 };
    private static readonly Option<string> Workload = new("--workload") { Description = WorkloadKinds.Names, DefaultValueFactory = _ => "chat" };
    private static readonly Option<string> LongPromptTokens = new("--long-prompt-tokens") { Description = "Long prompt length (long-prompt, mixed), MEAN±SPREAD", DefaultValueFactory = _ => "2000±200" };
    private static readonly Option<double> LongFraction = new("--long-fraction") { Description = "Share of long prompts in the mixed workload", DefaultValueFactory = _ => 0.1 };
    private static readonly Option<int> PrefixGroups = new("--prefix-groups") { Description = "shared-prefix: number of groups (G)", DefaultValueFactory = _ => 4 };
    private static readonly Option<int> PrefixTokens = new("--prefix-tokens") { Description = "shared-prefix: tokens of each group's system prompt (P)", DefaultValueFactory = _ => 1000 };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of the workload and the arrivals", DefaultValueFactory = _ => 0 };
    private static readonly Option<double?> SloTtft = new("--slo-ttft-ms") { Description = "Goodput SLO: time to first token, ms" };
    private static readonly Option<double?> SloItl = new("--slo-itl-ms") { Description = "Goodput SLO: a request's mean inter-token latency, ms" };
    private static readonly Option<string?> Json = new("--json") { Description = "Write results (config, runs, per-request records) to this JSON file" };
    private static readonly Option<int> Warmup = new("--warmup") { Description = "Unmeasured requests sent first", DefaultValueFactory = _ => 1 };
    private static readonly Option<double> TimeoutSeconds = new("--timeout-s") { Description = "Per-request timeout, seconds", DefaultValueFactory = _ => 300 };
    private static readonly Option<bool> Greedy = new("--greedy") { Description = "Send temperature: 0, so every answer is the same from run to run" };
    private static readonly Option<bool> Predicted = new("--predicted") { Description = "Greedy requests that also send OpenAI's prediction of their own answer, collected first by one unmeasured pass per request (Predicted Outputs: measures speculative decoding when the answer is known)" };
    private static readonly Option<bool> IgnoreEos = new("--ignore-eos") { Description = "Send ignore_eos: true (vLLM, llama-server) so every request makes --output-tokens tokens" };
    private static readonly Option<string?> Label = new("--label") { Description = "Name of this system in reports (default: model @ host:port)" };

    public static Command Create()
    {
        var command = new Command("serve", "Benchmark an OpenAI-compatible server: TTFT, ITL, throughput, goodput");
        foreach (Option option in (Option[])[Url, Model, ApiKey, Endpoint, Requests, Concurrency, Rate, Sweep, SweepOver, PromptTokens, OutputTokens,
                     Workload, LongPromptTokens, LongFraction, PrefixGroups, PrefixTokens, Seed, SloTtft, SloItl, Json, Warmup, TimeoutSeconds, IgnoreEos, Greedy, Predicted, Label])
            command.Add(option);
        command.SetAction(async (r, ct) =>
        {
            try
            {
                return await RunAsync(Options(r), r.GetValue(Json), ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("wafer: bench serve cancelled; no results written").ConfigureAwait(false);
                return Cancelled;
            }
        });
        return command;
    }

    private static BenchServeOptions Options(ParseResult r)
    {
        var options = new BenchServeOptions
        {
            Url = r.GetValue(Url)!,
            Model = r.GetValue(Model)!,
            ApiKey = r.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable("OPENAI_API_KEY"),
            Endpoint = EndpointKinds.Parse(r.GetValue(Endpoint)!),
            RequestCount = r.GetValue(Requests),
            Levels = Levels(r.GetValue(Concurrency), r.GetValue(Rate), r.GetValue(Sweep), r.GetValue(SweepOver)!),
            Workload = new WorkloadOptions
            {
                Kind = WorkloadKinds.Parse(r.GetValue(Workload)!),
                PromptTokens = TokenRange.Parse(r.GetValue(PromptTokens)!),
                OutputTokens = r.GetValue(OutputTokens),
                LongPromptTokens = TokenRange.Parse(r.GetValue(LongPromptTokens)!),
                LongFraction = r.GetValue(LongFraction),
                PrefixGroupCount = r.GetValue(PrefixGroups),
                PrefixTokens = r.GetValue(PrefixTokens),
            },
            Seed = r.GetValue(Seed),
            Slo = new SloOptions(r.GetValue(SloTtft), r.GetValue(SloItl)),
            WarmupCount = r.GetValue(Warmup),
            RequestTimeout = TimeSpan.FromSeconds(r.GetValue(TimeoutSeconds)),
            IgnoreEos = r.GetValue(IgnoreEos),
            Greedy = r.GetValue(Greedy),
            Predicted = r.GetValue(Predicted),
            Label = r.GetValue(Label),
        };
        options.Validate();
        return options;
    }

    /// <summary>The load levels from --concurrency, --rate or --sweep (exactly one of them).</summary>
    internal static IReadOnlyList<LoadLevel> Levels(int? concurrency, double? rate, string? sweep, string sweepOver)
    {
        int given = (concurrency != null ? 1 : 0) + (rate != null ? 1 : 0) + (sweep != null ? 1 : 0);
        if (given != 1) throw new ArgumentException("give exactly one of --concurrency C, --rate R or --sweep LEVELS");
        if (concurrency is int c) return [LoadLevel.ClosedLoop(c)];
        if (rate is double r) return [LoadLevel.OpenLoop(r)];
        bool overRate = sweepOver.Trim().ToLowerInvariant() switch
        {
            "concurrency" => false,
            "rate" => true,
            _ => throw new ArgumentException($"--sweep-over '{sweepOver}' is unknown; use concurrency or rate"),
        };
        var levels = new List<LoadLevel>();
        foreach (string part in sweep!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                throw new FormatException($"--sweep value '{part}' is not a number; write levels like 1,4,16,64");
            if (!overRate && value != Math.Floor(value)) throw new ArgumentException($"--sweep concurrency '{part}' must be a whole number");
            levels.Add(overRate ? LoadLevel.OpenLoop(value) : LoadLevel.ClosedLoop((int)value));
        }
        if (levels.Count == 0) throw new ArgumentException("--sweep needs at least one level, e.g. 1,4,16,64");
        return levels;
    }

    private static async Task<int> RunAsync(BenchServeOptions options, string? jsonPath, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var startedUtc = time.GetUtcNow();
        int maxConnections = options.Levels.Max(l => l.Concurrency ?? 4096);
        using var http = BenchHttpClient.Create(maxConnections);
        using var reconnectHttp = BenchHttpClient.CreateFresh();
        var sender = new OpenAiStreamingSender(http, BenchHttpClient.BaseAddress(options.Url), options.Model, options.ApiKey,
            options.Endpoint, time, options.RequestTimeout, options.IgnoreEos, reconnectHttp);
        var runner = new BenchServeRunner(options, sender, time);
        var console = AnsiConsole.Console;
        // Redirected output has no width; the table needs more than the default 80 columns.
        if (!console.Profile.Capabilities.Interactive) console.Profile.Width = Math.Max(console.Profile.Width, 200);
        console.MarkupLine(Markup.Escape($"wafer bench serve: {options.EffectiveLabel}, {options.Workload.Kind.Name()} workload, {options.RequestCount} requests per level, seed {options.Seed}"));
        foreach (var failed in await runner.WarmupAsync(cancellationToken).ConfigureAwait(false))
            console.MarkupLine($"[yellow]warm-up request failed:[/] {Markup.Escape($"{failed.ErrorKind}: {failed.ErrorMessage}")}");
        if (options.Predicted)
        {
            console.MarkupLine(Markup.Escape($"collecting each request's greedy answer as its prediction ({runner.Requests.Count} requests, one at a time)…"));
            foreach (var failed in await runner.CollectPredictionsAsync(cancellationToken).ConfigureAwait(false))
                console.MarkupLine($"[yellow]prediction pass: request failed (it goes on without a prediction):[/] {Markup.Escape($"{failed.ErrorKind}: {failed.ErrorMessage}")}");
        }
        var runs = await BenchServeProgress.RunLevelsAsync(console, runner, options, cancellationToken).ConfigureAwait(false);
        console.Write(BenchConsoleTable.Build([new BenchSeries(options.EffectiveLabel, "", [.. runs.Select(BenchRunRow.From)])], console.Profile.Width));
        foreach (var run in runs.Where(r => r.Errors > 0))
            console.MarkupLine(Markup.Escape($"{run.Level}: errors {string.Join(", ", run.ErrorsByStatus.Select(e => $"{e.Key} × {e.Value}"))}"));
        foreach (var run in runs.Where(r => r.Reconnects > 0))
            console.MarkupLine(Markup.Escape($"{run.Level}: reconnects {run.Reconnects}: requests whose kept-alive connection the server had closed " +
                "before answering, each retried once on a fresh connection and timed from the retry (not counted as errors)"));
        if (jsonPath != null)
        {
            await using (var file = File.Create(jsonPath)) BenchResultJson.Write(file, options, startedUtc, runs);
            console.MarkupLine(Markup.Escape($"wrote {jsonPath}"));
        }
        if (runs.Sum(r => r.RequestsCompleted) > 0) return 0;
        await Console.Error.WriteLineAsync($"wafer: error: no request to {options.Url} completed; see the errors above").ConfigureAwait(false);
        return CliErrors.UserError;
    }
}
