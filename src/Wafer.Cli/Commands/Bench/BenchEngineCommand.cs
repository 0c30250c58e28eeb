using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Wafer.Bench;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Evaluation;
using Wafer.Models.Inference;

namespace Wafer.Cli.Commands.Bench;

/// <summary><c>wafer bench engine MODEL [-p 512] [-n 128] [-t T] [-r 5] [--json F]</c>: single-stream pp/tg tokens/s, as llama-bench reports them.</summary>
internal static class BenchEngineCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var prompt = new Option<int>("--n-prompt", "-p") { Description = "Prompt tokens for the pp test (0 skips it)", DefaultValueFactory = _ => 512 };
        var generate = new Option<int>("--n-gen", "-n") { Description = "Generated tokens for the tg test (0 skips it)", DefaultValueFactory = _ => 128 };
        var depth = new Option<string>("--n-depth", "-d") { Description = "Tokens already in the cache before each test, as llama-bench's -d; several as 0,4096,16384", DefaultValueFactory = _ => "0" };
        var repetitions = new Option<int>("--repetitions", "-r") { Description = "Timed repetitions per test", DefaultValueFactory = _ => 5 };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file" };
        var threads = CommonOptions.Threads();
        var parallel = new Option<string?>("--parallel") { Description = "Concurrent sequences through the batching engine, e.g. 1,4,16,64 (one tg result per level and -d depth: a depth is each sequence's prompt, and only the decode after it is timed)" };
        var mixed = new Option<bool>("--ttft") { Description = "Also measure time to first token: shared 1,000-token system prompt with and without the prefix cache, and short chats while a 2,000-token prompt is prefilled" };
        var noRepack = CommonOptions.NoRepack();
        var spec = CommonOptions.Spec();
        var draftTokens = CommonOptions.DraftTokens();
        var draft = CommonOptions.Draft();
        var kvType = CommonOptions.KvType("f32");
        var specPrompt = new Option<string>("--spec-prompt") { Description = "With --spec: the prompt of the speculation workloads", DefaultValueFactory = _ => "Once upon a time" };
        var command = new Command("engine", "Prompt processing and token generation speed of one model, like llama-bench; with --spec, batch-1 decode with and without speculative decoding")
        {
            model, prompt, generate, depth, repetitions, threads, json, parallel, mixed, noRepack, spec, draftTokens, draft, specPrompt,
            kvType.Both, kvType.Keys, kvType.Values,
        };
        command.SetAction(r => r.GetValue(spec) != "none" || r.GetValue(draft) != null
            ? RunSpeculation(ModelNames.Resolve(r.GetValue(model)!), r.GetValue(generate), r.GetValue(repetitions), r.GetValue(threads), r.GetValue(json),
                CommonOptions.Speculation(r.GetValue(spec)!, r.GetValue(draftTokens), r.GetValue(draft)), r.GetValue(specPrompt)!, !r.GetValue(noRepack))
            : Run(ModelNames.Resolve(r.GetValue(model)!), r.GetValue(prompt), r.GetValue(generate), Depths(r.GetValue(depth)!), r.GetValue(repetitions), r.GetValue(threads), r.GetValue(json),
                EngineLoadOptions.ParseLevels(r.GetValue(parallel)), r.GetValue(mixed), !r.GetValue(noRepack), CommonOptions.KvTypes(r, kvType)));
        return command;
    }

    /// <summary>Speculative decoding at batch 1 (<see cref="SpeculationBenchmark"/>): tokens/s off and on, acceptance, exactness.</summary>
    private static int RunSpeculation(string path, int tokens, int rounds, int threads, string? jsonPath, Wafer.Engine.Speculation.SpeculationOptions speculation, string prompt, bool repack)
    {
        if (tokens < 2) throw new ArgumentException($"-n {tokens}: --spec needs at least 2 generated tokens");
        if (rounds < 1) throw new ArgumentException($"-r {rounds}: need at least one round");
        using var pool = new WorkerPool(threads);
        using var model = TransformerModel.Load(path, pool, repack);
        var tokenizer = Wafer.Models.Tokenization.Tokenizer.FromMetadata(model.File.Metadata, Path.GetFileName(path));
        var benchmark = new SpeculationBenchmark(model, tokenizer, speculation);
        var rows = AnsiConsole.Status().Start("speculation rounds…", _ => benchmark.RunAsync(prompt, tokens, rounds).GetAwaiter().GetResult());
        string method = speculation.Draft != null ? $"draft {speculation.Draft}" : "ngram";
        AnsiConsole.MarkupLine(Markup.Escape($"speculation: {method}, up to {speculation.MaxDraftTokens} drafts" +
            (benchmark.DraftBytes is var (w, kv) ? $"; the draft costs {w / 1e6:F0} MB of weights and {kv / 1e6:F0} MB of KV cache" : "")));
        var table = new Table().AddColumns("workload", "n", "off t/s", "on t/s", "×", "drafted", "accepted", "rate", "per verif.", "same");
        foreach (var r in rows)
            table.AddRow(r.Workload, $"{r.Tokens}", $"{r.OffTokensPerSecond:F1}", $"{r.OnTokensPerSecond:F1}", $"{r.Speedup:F2}", $"{r.Drafted}", $"{r.Accepted}",
                $"{r.AcceptanceRate:P0}", $"{r.MeanAcceptedLength:F2}", r.SameTokens ? "yes" : "[red]NO[/]");
        AnsiConsole.Write(table);
        if (jsonPath != null)
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(new
            {
                command = "wafer bench engine --spec", model = Path.GetFileName(path), threads = pool.ThreadCount, date = DateTime.UtcNow,
                method, draft_tokens = speculation.MaxDraftTokens, draft_weight_bytes = benchmark.DraftBytes?.Weights, draft_kv_bytes = benchmark.DraftBytes?.Kv,
                prompt, rounds, results = rows,
            }, JsonOptions));
        return rows.All(r => r.SameTokens) ? 0 : 1;
    }

    private static int[] Depths(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(d =>
            int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : throw new FormatException($"-d '{d}' is not a whole number of tokens; write e.g. 0,4096,16384"))];

    private static int Run(string path, int promptTokens, int generatedTokens, int[] depths, int repetitions, int threads, string? jsonPath, int[] parallelLevels, bool ttft, bool repack,
        (KvType Keys, KvType Values) kv)
    {
        if (kv != (KvType.F32, KvType.F32) && ttft)
            throw new ArgumentException("--kv-type/-ctk/-ctv set the cache of the pp, tg and --parallel tests; --ttft runs the engine with an F32 cache for now, so leave it out or the KV type");
        if (depths.Length == 0) throw new ArgumentException("-d needs at least one depth, e.g. 0");
        if (promptTokens < 0 || generatedTokens < 0) throw new ArgumentException("-p and -n must be 0 or more");
        if (repetitions < 1) throw new ArgumentException($"-r {repetitions}: need at least one repetition");
        using var pool = new WorkerPool(threads);
        using var model = TransformerModel.Load(path, pool, repack);
        var results = new List<EngineBenchmark.Result>();
        foreach (int d in depths)
        {
            if (promptTokens > 0) results.Add(EngineBenchmark.PromptProcessing(model, promptTokens, repetitions, d, kv.Keys, kv.Values));
            if (generatedTokens > 0 && parallelLevels.Length == 0) results.Add(EngineBenchmark.TokenGeneration(model, generatedTokens, repetitions, d, kv.Keys, kv.Values));
        }
        if (generatedTokens > 0 && parallelLevels.Length > 0) results.AddRange(EngineLoadOptions.ParallelDecode(model, parallelLevels, generatedTokens, repetitions, depths, kv.Keys, kv.Values));
        var ttftResults = ttft ? EngineLoadOptions.TimeToFirstToken(model) : null;

        string name = Path.GetFileName(path);
        var table = new Table().AddColumns("model", "size", "threads", "type_k", "type_v", "test", "parallel", "t/s");
        string size = $"{new FileInfo(path).Length / 1e6:F0} MB";
        foreach (var r in results)
            table.AddRow(Markup.Escape(name), size, $"{pool.ThreadCount}", kv.Keys.Name(), kv.Values.Name(), r.Test, $"{r.Parallel}",
                string.Create(CultureInfo.InvariantCulture, $"{r.Mean:F2} ± {r.StandardDeviation:F2}"));
        AnsiConsole.Write(table);
        if (ttftResults != null) EngineLoadOptions.Print(ttftResults);

        if (jsonPath != null)
        {
            var document = new
            {
                model = name,
                threads = pool.ThreadCount,
                type_k = kv.Keys.Name(),
                type_v = kv.Values.Name(),
                results = results.Select(r => new { test = r.Test, parallel = r.Parallel, tokens_per_second = r.Mean, stddev = r.StandardDeviation, samples = r.TokensPerSecond }),
                ttft = ttftResults,
            };
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(document, JsonOptions));
        }
        return 0;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}
