using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Evaluation;

namespace Wafer.Cli.Commands.Bench;

/// <summary><c>wafer bench memory [-t T] [-r 5] [--mib 1024] [--json F]</c>: memory read bandwidth, the bound on token generation.</summary>
internal static class BenchMemoryCommand
{
    public static Command Create()
    {
        var repetitions = new Option<int>("--repetitions", "-r") { Description = "Timed passes over the buffer", DefaultValueFactory = _ => 5 };
        var mebibytes = new Option<int>("--mib") { Description = "Buffer size in MiB", DefaultValueFactory = _ => 1024 };
        var json = new Option<string?>("--json") { Description = "Also write the result as JSON to this file" };
        var threads = CommonOptions.Threads();
        var command = new Command("memory", "Memory read bandwidth with the engine's worker pool (GB/s)") { repetitions, mebibytes, threads, json };
        command.SetAction(r => Run(r.GetValue(repetitions), r.GetValue(mebibytes), r.GetValue(threads), r.GetValue(json)));
        return command;
    }

    private static int Run(int repetitions, int mebibytes, int threads, string? jsonPath)
    {
        if (repetitions < 1) throw new ArgumentException($"-r {repetitions}: need at least one repetition");
        if (mebibytes < 64) throw new ArgumentException($"--mib {mebibytes}: use at least 64 MiB so the buffer is larger than the caches");
        using var pool = new WorkerPool(threads);
        using var bandwidth = new MemoryBandwidth((long)mebibytes << 20);
        var rates = bandwidth.Measure(pool, repetitions);
        double mean = rates.Average(), best = rates.Max();
        double sd = rates.Count < 2 ? 0 : Math.Sqrt(rates.Sum(x => (x - mean) * (x - mean)) / (rates.Count - 1));
        var table = new Table().AddColumns("threads", "buffer", "read GB/s (mean ± sd)", "best GB/s");
        table.AddRow($"{pool.ThreadCount}", $"{mebibytes} MiB", string.Create(CultureInfo.InvariantCulture, $"{mean:F1} ± {sd:F1}"), string.Create(CultureInfo.InvariantCulture, $"{best:F1}"));
        AnsiConsole.Write(table);
        if (jsonPath != null)
        {
            var document = new { test = "memory-read", threads = pool.ThreadCount, buffer_bytes = (long)mebibytes << 20, gb_per_second = mean, stddev = sd, best_gb_per_second = best, samples = rates };
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
        }
        return 0;
    }
}
