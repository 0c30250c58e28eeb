using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Evaluation;
using Wafer.Models.Tokenization;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer perplexity MODEL --file F [-c 128]</c>: perplexity as llama-perplexity computes it.</summary>
internal static class PerplexityCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var file = new Option<string>("--file", "-f") { Description = "Text file to score", Required = true };
        var context = new Option<int>("--ctx", "-c") { Description = "Chunk length in tokens", DefaultValueFactory = _ => 512 };
        var threads = CommonOptions.Threads();
        var noRepack = CommonOptions.NoRepack();
        var command = new Command("perplexity", "Compute perplexity over a text file, as llama-perplexity does") { model, file, context, threads, noRepack };
        command.SetAction(r => Run(ModelNames.Resolve(r.GetValue(model)!), r.GetValue(file)!, r.GetValue(context), r.GetValue(threads), !r.GetValue(noRepack)));
        return command;
    }

    private static int Run(string path, string textFile, int context, int threads, bool repack)
    {
        if (!File.Exists(textFile)) throw new FileNotFoundException($"text file '{textFile}' does not exist");
        using var model = TransformerModel.Load(path, new WorkerPool(threads), repack);
        var tokenizer = Tokenizer.FromMetadata(model.File.Metadata, Path.GetFileName(path));
        var tokens = tokenizer.Encode(File.ReadAllText(textFile), addSpecial: true, parseSpecial: false);
        Perplexity.Result? result = null;
        AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"{tokens.Count} tokens, chunks of {context}", maxValue: Math.Max(1, tokens.Count / context));
                result = Perplexity.Compute(model, tokens, context, tokenizer.AddBos ? tokenizer.BosTokenId : -1, new InlineProgress<int>(done => task.Value = done));
            });
        var r = result!;
        string running = string.Join(", ", r.RunningPerplexity.Select(p => p.ToString("F4", CultureInfo.InvariantCulture)));
        Console.Out.WriteLine($"chunks: {r.ChunkCount}, scored tokens: {r.ScoredTokens}, running: [{running}]");
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Final estimate: PPL = {r.FinalPerplexity:F4} +/- {r.StandardError:F5}"));
        return 0;
    }
}
