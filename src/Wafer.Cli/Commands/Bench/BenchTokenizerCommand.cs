using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Wafer.Models.Gguf;
using Wafer.Models.Tokenization;

namespace Wafer.Cli.Commands.Bench;

/// <summary><c>wafer bench tokenizer</c>: encode and decode throughput of every fixture tokenizer on the same mixed text.</summary>
/// <remarks>
/// Step 1: build the text (seeded, so every run and machine sees the same bytes).
/// Step 2: per tokenizer: load, warm up with one encode and decode, then time <c>--repeat</c> encodes and decodes.
/// Step 3: print a table (mean ± sample sd in MB/s, MB = 10^6 bytes of input text) and write JSON.
/// </remarks>
internal static class BenchTokenizerCommand
{
    private const int Seed = 20261123;

    // Family representatives first; the rest are other vocabularies of the same algorithms.
    private static readonly string[] Vocabularies =
    [
        "vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-qwen2.gguf", "vocab/ggml-vocab-bert-bge.gguf", "vocab/ggml-vocab-llama-bpe.gguf",
        "vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-starcoder.gguf", "vocab/ggml-vocab-deepseek-coder.gguf", "vocab/ggml-vocab-falcon.gguf",
        "vocab/ggml-vocab-phi-3.gguf", "vocab/ggml-vocab-gemma-4.gguf", "models/synth-llama-2L-128-Q8_0.gguf",
    ];

    public static Command Create()
    {
        var fixtures = new Option<string>("--fixtures") { Description = "Folder with vocab/ and models/", DefaultValueFactory = _ => "../shared" };
        var megabytes = new Option<double>("--mb") { Description = "Size of the text in MB (10^6 bytes of UTF-8)", DefaultValueFactory = _ => 1.0 };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs per tokenizer after one warm-up", DefaultValueFactory = _ => 5 };
        var only = new Option<string?>("--only") { Description = "Only tokenizers whose file name contains this text" };
        var json = new Option<string?>("--json") { Description = "Also write the results to this JSON file" };
        var command = new Command("tokenizer", "Encode and decode throughput (MB/s) of each fixture tokenizer on ~1 MB of mixed text") { fixtures, megabytes, repeat, only, json };
        command.SetAction(r => Run(r.GetValue(fixtures)!, r.GetValue(megabytes), r.GetValue(repeat), r.GetValue(only), r.GetValue(json)));
        return command;
    }

    private static int Run(string fixtures, double megabytes, int repeat, string? only, string? jsonPath)
    {
        if (!(megabytes is > 0 and <= 256)) throw new ArgumentException($"--mb must be in (0, 256], got {megabytes.ToString(CultureInfo.InvariantCulture)}");
        if (repeat < 1) throw new ArgumentException($"--repeat must be at least 1, got {repeat}");
        if (!Directory.Exists(fixtures)) throw new DirectoryNotFoundException($"fixtures folder '{fixtures}' does not exist; pass --fixtures PATH (the shared folder with vocab/ and models/)");
        var files = Vocabularies.Where(v => File.Exists(Path.Combine(fixtures, v)) && (only is null || v.Contains(only, StringComparison.OrdinalIgnoreCase))).ToArray();
        if (files.Length == 0) throw new FileNotFoundException($"no tokenizer fixtures found under '{fixtures}' (looked for {string.Join(", ", Vocabularies)}); check --fixtures and --only");

        // Step 1
        string text = MixedText.Generate((int)(megabytes * 1e6), Seed);
        int textBytes = Encoding.UTF8.GetByteCount(text);
        Console.Error.WriteLine($"text: {textBytes:N0} bytes, {text.Length:N0} chars (seed {Seed}); {repeat} timed runs after 1 warm-up");

        // Step 2
        var results = new List<Result>();
        foreach (var file in files)
        {
            Console.Error.Write($"{Path.GetFileName(file)}… ");
            results.Add(Measure(Path.Combine(fixtures, file), text, textBytes, repeat));
            Console.Error.WriteLine($"encode {results[^1].EncodeMBps.Mean:F1} MB/s, decode {results[^1].DecodeMBps.Mean:F1} MB/s");
        }

        // Step 3
        Print(results, textBytes);
        if (jsonPath is not null)
        {
            var report = new Report("tokenizer", DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Machine(), textBytes, Seed, repeat, results);
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            Console.Error.WriteLine($"wrote {jsonPath}");
        }

        return 0;
    }

    private static Result Measure(string path, string text, int textBytes, int repeat)
    {
        Tokenizer tokenizer;
        using (var gguf = GgufFile.Open(path)) tokenizer = Tokenizer.FromMetadata(gguf.Metadata, Path.GetFileName(path));
        var ids = tokenizer.Encode(text, addSpecial: false, parseSpecial: false);
        tokenizer.Decode(ids);
        var encode = new double[repeat];
        var decode = new double[repeat];
        for (int i = 0; i < repeat; i++)
        {
            long start = Stopwatch.GetTimestamp();
            ids = tokenizer.Encode(text, addSpecial: false, parseSpecial: false);
            encode[i] = textBytes / 1e6 / Stopwatch.GetElapsedTime(start).TotalSeconds;
            start = Stopwatch.GetTimestamp();
            tokenizer.Decode(ids);
            decode[i] = textBytes / 1e6 / Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        return new Result(Path.GetFileName(path), tokenizer.Kind.ToString(), tokenizer.VocabularySize, ids.Count, Stat.Of(encode), Stat.Of(decode));
    }

    private static void Print(List<Result> results, int textBytes)
    {
        var table = new Table().AddColumns(
            new TableColumn("tokenizer"), new TableColumn("kind"), new TableColumn("vocab").RightAligned(), new TableColumn("tokens").RightAligned(),
            new TableColumn("B/tok").RightAligned(), new TableColumn("encode MB/s").RightAligned(), new TableColumn("decode MB/s").RightAligned());
        foreach (var r in results)
        {
            table.AddRow(Markup.Escape(ShortName(r.Name)), ShortKind(r.Kind), r.VocabularySize.ToString("N0", CultureInfo.InvariantCulture), r.TokenCount.ToString("N0", CultureInfo.InvariantCulture),
                ((double)textBytes / Math.Max(1, r.TokenCount)).ToString("F2", CultureInfo.InvariantCulture), r.EncodeMBps.ToString(), r.DecodeMBps.ToString());
        }

        AnsiConsole.Write(table);
    }

    private static string ShortName(string fileName) => Path.GetFileNameWithoutExtension(fileName).Replace("ggml-vocab-", "", StringComparison.Ordinal);

    private static string ShortKind(string kind) => kind switch { "SentencePiece" => "SPM", "BytePair" => "BPE", _ => kind };

    private static string Machine() =>
        $"{RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}";

    /// <summary>Mean and sample standard deviation of the timed runs.</summary>
    internal sealed record Stat(double Mean, double Sd, double[] Samples)
    {
        public static Stat Of(double[] samples)
        {
            double mean = samples.Average();
            double sd = samples.Length > 1 ? Math.Sqrt(samples.Sum(s => (s - mean) * (s - mean)) / (samples.Length - 1)) : 0;
            return new Stat(mean, sd, samples);
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Mean:F2} ± {Sd:F2}");
    }

    /// <summary>One tokenizer's throughput.</summary>
    internal sealed record Result(string Name, string Kind, int VocabularySize, int TokenCount, Stat EncodeMBps, Stat DecodeMBps);

    /// <summary>The JSON written by <c>--json</c>.</summary>
    internal sealed record Report(string Benchmark, string Date, string Machine, int TextBytes, int Seed, int Repeat, List<Result> Results);
}
