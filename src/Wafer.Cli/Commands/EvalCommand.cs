using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Wafer.Bench.Eval;
using Wafer.Models.Inference;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer eval MODEL --file TEXT [--weights …] [--kv …]</c>: the trade-off an operator chooses — perplexity, KL
/// divergence and top-1 agreement against the highest-precision setting, prefill and decode speed, KV memory per 1k tokens and
/// (where powercap exists) joules per token, for every weight type × KV type.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var file = new Option<string>("--file", "-f") { Description = "Text to score (e.g. ../shared/golden/ppl-text.txt)", Required = true };
        var weights = new Option<string>("--weights") { Description = "Weight types: source (the file as given) and wafer quantize's types, e.g. source,q8_0,q4_0,q4_k_m", DefaultValueFactory = _ => "source,q8_0,q4_0" };
        var kv = new Option<string>("--kv") { Description = "KV-cache types: f32, f16, q8_0", DefaultValueFactory = _ => "f32,f16,q8_0" };
        var context = new Option<int>("--ctx", "-c") { Description = "Chunk length of the perplexity pass, tokens", DefaultValueFactory = _ => 512 };
        var chunks = new Option<int>("--chunks") { Description = "At most this many chunks of the text are scored", DefaultValueFactory = _ => 8 };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt of the speed pass, tokens", DefaultValueFactory = _ => 512 };
        var decodeTokens = new Option<int>("--decode-tokens") { Description = "Generated tokens of the speed pass", DefaultValueFactory = _ => 64 };
        var repetitions = new Option<int>("--repetitions", "-r") { Description = "Timed speed runs per setting (after one warm-up)", DefaultValueFactory = _ => 2 };
        var workDir = new Option<string?>("--work-dir") { Description = "Keep the quantized copies here (default: a temporary folder, deleted after)" };
        var json = new Option<string?>("--json") { Description = "Write the results to this JSON file" };
        var png = new Option<string?>("--png") { Description = "Write the charts (divergence vs speed, perplexity vs size) to this PNG file" };
        var threads = CommonOptions.Threads();
        var command = new Command("eval", "Quality, speed and memory of a model's weight and KV-cache types against its highest-precision setting")
            { model, file, weights, kv, context, chunks, promptTokens, decodeTokens, repetitions, threads, workDir, json, png };
        command.SetAction(async (r, _) =>
        {
            var options = new EvalOptions
            {
                ModelPath = ModelNames.Resolve(r.GetValue(model)!),
                TextPath = r.GetValue(file)!,
                Weights = List(r.GetValue(weights)!),
                KvTypes = [.. List(r.GetValue(kv)!).Select(t => KvTypes.Parse(t, "--kv"))],
                Context = r.GetValue(context),
                MaxChunks = r.GetValue(chunks),
                PromptTokens = r.GetValue(promptTokens),
                DecodeTokens = r.GetValue(decodeTokens),
                Repetitions = r.GetValue(repetitions),
                Threads = r.GetValue(threads),
                WorkDirectory = r.GetValue(workDir),
            };
            options.Validate();
            return await RunAsync(options, r.GetValue(json), r.GetValue(png)).ConfigureAwait(false);
        });
        return command;
    }

    private static List<string> List(string text) => [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static async Task<int> RunAsync(EvalOptions options, string? jsonPath, string? pngPath)
    {
        EvalResult? result = null;
        await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new InlineProgress<(string Stage, int Done, int Count)>(p =>
                {
                    if (!tasks.TryGetValue(p.Stage, out var task)) tasks[p.Stage] = task = ctx.AddTask(p.Stage, maxValue: Math.Max(1, p.Count));
                    task.MaxValue = Math.Max(1, p.Count);
                    task.Value = p.Done;
                });
                result = await new EvalRunner(options).RunAsync(progress).ConfigureAwait(false);
            }).ConfigureAwait(false);
        var r = result!;
        // Redirected output has no width; the table needs more than the default 80 columns.
        if (!AnsiConsole.Profile.Capabilities.Interactive) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 200);
        AnsiConsole.Write(Table(r));
        if (r.NoEnergyReason != null) AnsiConsole.MarkupLine(Markup.Escape($"joules per token: not measured; {r.NoEnergyReason}"));
        if (jsonPath != null)
        {
            await using (var stream = File.Create(jsonPath)) EvalReport.WriteJson(stream, r);
            AnsiConsole.MarkupLine(Markup.Escape($"wrote {jsonPath}"));
        }
        if (pngPath != null)
        {
            await File.WriteAllBytesAsync(pngPath, EvalReport.Png(r)).ConfigureAwait(false);
            AnsiConsole.MarkupLine(Markup.Escape($"wrote {pngPath}"));
        }
        return 0;
    }

    // "+0.00;-0.00" prints "-+0.00" for a small negative value that rounds to zero.
    private static string Percent(double value)
    {
        double rounded = Math.Round(value, 2);
        return rounded == 0 ? "0.00 %" : $"{rounded.ToString("+0.00;-0.00", CultureInfo.InvariantCulture)} %";
    }

    private static Table Table(EvalResult result)
    {
        var reference = result.Rows[0].Quality.Perplexity;
        var table = new Table().Title(Markup.Escape($"{Path.GetFileName(result.Options.ModelPath)} on {Path.GetFileName(result.Options.TextPath)}: {result.ScoredTokens} tokens scored, reference {result.Rows[0].Name}"))
            .AddColumns("setting", "weights MiB", "PPL", "Δ PPL", "KL mean", "KL p99", "KL max", "top-1 same", "prefill t/s", "decode t/s", "KV KiB / 1k tokens", "J / token");
        foreach (var row in result.Rows)
        {
            var q = row.Quality;
            string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
            table.AddRow(Markup.Escape(row.Name), F(row.WeightBytes / 1048576.0, "0.0"), $"{F(q.Perplexity, "0.000")} ± {F(q.PerplexityError, "0.000")}",
                row.IsReference ? "-" : Percent(100 * (q.Perplexity / reference - 1)), EvalReport.Small(q.MeanKl), EvalReport.Small(q.P99Kl),
                EvalReport.Small(q.MaxKl), $"{F(100 * q.Top1Agreement, "0.0")} %", F(row.PrefillTokensPerSecond, "0"), F(row.DecodeTokensPerSecond, "0.0"),
                F(row.KvBytesPer1kTokens / 1024.0, "0"), row.JoulesPerToken is double j ? F(j, "0.000") : "-");
        }
        return table;
    }
}
