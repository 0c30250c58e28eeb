using System.CommandLine;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Evaluation;
using Wafer.Models.Inference;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer fidelity</c>: teacher-forces every golden completions file and reports the distance to llama.cpp.</summary>
internal static class FidelityCommand
{
    public static Command Create()
    {
        var fixtures = new Option<string[]>("--fixtures")
        {
            Description = "Fixtures folder holding golden/completions and models/ (repeat for more; e.g. the architecture models of tests/Wafer.Models.Tests/Golden/Architectures/README.md)",
            DefaultValueFactory = _ => ["../shared"],
        };
        var output = new Option<string?>("--out") { Description = "Write a Markdown report here (e.g. docs/fidelity.md)" };
        var threads = CommonOptions.Threads();
        var noRepack = CommonOptions.NoRepack();
        var kvType = new Option<string>("--kv-type")
        {
            Description = $"KV cache precision of the teacher-forced pass: {KvTypes.Names}, or all (one row per model and type; q8_0 where heads are a multiple of 32 wide)",
            DefaultValueFactory = _ => "f32",
        };
        var command = new Command("fidelity", "Compare Wafer's logprobs with llama.cpp's golden files, one row per model") { fixtures, output, threads, noRepack, kvType };
        command.SetAction(r => Run(r.GetValue(fixtures)!, r.GetValue(output), r.GetValue(threads), !r.GetValue(noRepack),
            r.GetValue(kvType) is "all" ? [KvType.F32, KvType.F16, KvType.Q8_0] : [KvTypes.Parse(r.GetValue(kvType)!, "--kv-type")]));
        return command;
    }

    private static int Run(string[] folders, string? outputPath, int threads, bool repack, KvType[] kvTypes)
    {
        var files = new List<(string Fixtures, string File, Dictionary<string, (double Median, double P99)> Floor)>();
        foreach (string fixtures in folders)
        {
            string goldenDir = Path.Combine(fixtures, "golden", "completions");
            if (!Directory.Exists(goldenDir)) throw new DirectoryNotFoundException($"no golden files at '{goldenDir}'; pass --fixtures with the folder that holds golden/ and models/");
            // llama.cpp's F16-KV noise floor where the folder has one (../shared does; the architecture models do not).
            string floorPath = Path.Combine(fixtures, "golden", "noise-floor.json");
            var floor = File.Exists(floorPath) ? NoiseFloor.Load(floorPath) : [];
            files.AddRange(Directory.GetFiles(goldenDir, "*.json").Order(StringComparer.Ordinal).Select(f => (fixtures, f, floor)));
        }
        var pool = new WorkerPool(threads);
        var rows = new List<(string Model, string Types, string Kv, FidelityReport Report, FidelityTolerance? Tolerance, string? Problem, (double Median, double P99) Floor)>();
        AnsiConsole.Progress().Start(ctx =>
        {
            var task = ctx.AddTask("teacher-forcing golden files", maxValue: files.Count * kvTypes.Length);
            foreach (var (fixtures, f, floor) in files)
            {
                var golden = GoldenCompletions.Load(f);
                using var model = TransformerModel.Load(Path.Combine(fixtures, golden.ModelFile), pool, repack);
                foreach (var kv in kvTypes)
                {
                    task.Increment(1);
                    if (kv == KvType.Q8_0 && model.Config.HeadDim % 32 != 0) continue; // as llama.cpp: q8_0 KV needs heads of 32·k values
                    var report = FidelityReport.Measure(model, golden, kv);
                    var tolerance = FidelityTolerance.For(golden.TensorTypes.Keys).ForKv(kv, floor.GetValueOrDefault(golden.ModelFile));
                    string types = string.Join(" ", golden.TensorTypes.Select(t => $"{t.Key}×{t.Value}"));
                    rows.Add((Path.GetFileName(golden.ModelFile), types, kv.Name(), report, tolerance, tolerance?.Check(report), floor.GetValueOrDefault(golden.ModelFile)));
                }
            }
        });

        var table = new Table().AddColumns("model", "KV", "steps", "median |Δ|", "p99 |Δ|", "max |Δ|", "min top-10 overlap", "argmax (gap ≥ 0.5)", "llama.cpp floor median / p99", "verdict");
        foreach (var r in rows)
            table.AddRow(Markup.Escape(r.Model), r.Kv, $"{r.Report.Steps}", F(r.Report.MedianTop10), F(r.Report.P99Top10), F(r.Report.MaxTop10), $"{r.Report.MinTop10Overlap}",
                $"{r.Report.ArgmaxAgreementGap05:P1}", FloorText(r.Floor), r.Tolerance == null ? "[grey]measured (no reference)[/]" : r.Problem == null ? "[green]pass[/]" : $"[red]{Markup.Escape(r.Problem)}[/]");
        AnsiConsole.Write(table);
        if (outputPath != null) File.WriteAllText(outputPath, Markdown(rows.Select(r => (r.Model, r.Types, r.Kv, r.Report, r.Tolerance, r.Problem, r.Floor)), kvTypes.Length > 1, folders));
        return rows.All(r => r.Problem == null) ? 0 : 2;
    }

    private static string F(double v) => v.ToString("0.000000", CultureInfo.InvariantCulture);

    /// <summary>The floor as "median / p99", or "–" for a model the folder's noise-floor.json does not list.</summary>
    private static string FloorText((double Median, double P99) floor) => floor == default ? "–" : $"{F(floor.Median)} / {F(floor.P99)}";

    private static string Markdown(IEnumerable<(string Model, string Types, string Kv, FidelityReport Report, FidelityTolerance? Tolerance, string? Problem, (double Median, double P99) Floor)> rows, bool allKvTypes, string[] folders)
    {
        var md = new StringBuilder();
        string fixtures = folders is ["../shared"] ? "" : string.Concat(folders.Select(f => $" --fixtures {f}"));
        md.AppendLine("# Fidelity against llama.cpp");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Generated by `./wafer fidelity{(allKvTypes ? " --kv-type all" : "")}{fixtures} --out docs/fidelity.md` on {DateTime.UtcNow:yyyy-MM-dd} ({Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}).");
        md.AppendLine(CultureInfo.InvariantCulture, $"Every case of {string.Join(" and ", folders.Select(f => $"`{f}/golden/completions`"))} is teacher-forced (prompt + llama.cpp's greedy continuation as one batch);");
        md.AppendLine("|Δ| is |Wafer logprob − llama.cpp logprob| over llama.cpp's top-10 ids at every step. The floor is llama.cpp against");
        md.AppendLine("itself with an F16 instead of F32 KV cache (`golden/noise-floor.json`, `kv_f16_fa_off`). Tolerances by weight class are in");
        md.AppendLine("`src/Wafer.Models/Evaluation/FidelityTolerance.cs`.");
        md.AppendLine("The KV column is the precision Wafer's keys and values were rounded to (the golden files are llama.cpp with an F32 KV");
        md.AppendLine("cache): an F16 row measures the same change llama.cpp's floor does, so it is held to that model's floor with a quarter");
        md.AppendLine("more room (a second sample of the same noise), never tighter than the weight class (`FidelityTolerance.ForKv`). The");
        md.AppendLine("fixtures hold no llama.cpp Q8_0-KV measurement, so Q8_0 rows are reported without a verdict; they need heads of a");
        md.AppendLine("multiple of 32 values (stories260K's are 8: no Q8_0 row, as llama.cpp refuses it too). A model without a floor (the");
        md.AppendLine("gemma2/gemma3/phi3 files the tests write, `tests/Wafer.Models.Tests/Golden/Architectures`) is held to its weight class.");
        md.AppendLine();
        md.AppendLine("| model | tensor types | KV | steps | median \\|Δ\\| | p99 \\|Δ\\| | max \\|Δ\\| | min top-10 overlap | argmax agreement (gap ≥ 0.5) | argmax agreement (all) | llama.cpp floor median / p99 | tolerance median / p99 | verdict |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Model} | {r.Types} | {r.Kv} | {r.Report.Steps} | {F(r.Report.MedianTop10)} | {F(r.Report.P99Top10)} | {F(r.Report.MaxTop10)} | {r.Report.MinTop10Overlap} | {r.Report.ArgmaxAgreementGap05:P1} | {r.Report.ArgmaxAgreement:P1} | {FloorText(r.Floor)} | {(r.Tolerance == null ? "–" : $"{r.Tolerance.MedianTop10} / {r.Tolerance.P99Top10}")} | {(r.Tolerance == null ? "measured (no reference)" : r.Problem ?? "pass")} |");
        return md.ToString();
    }
}
