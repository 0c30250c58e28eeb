using System.CommandLine;
using Spectre.Console;
using Wafer.Models.Quantization;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer quantize IN OUT TYPE</c>: rewrites a GGUF model in another type mix, as llama-quantize does.</summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("IN") { Description = "Source GGUF model (F32, F16, BF16 or any type Wafer reads)" };
        var output = new Argument<string>("OUT") { Description = "GGUF file to write" };
        var type = new Argument<string>("TYPE") { Description = $"Target: {string.Join(", ", QuantizationScheme.All.Select(s => s.Name))}" };
        var command = new Command("quantize", "Quantize a GGUF model (llama-quantize's type rules; llama.cpp reads the output)") { input, output, type };
        command.SetAction(r => Run(r.GetValue(input)!, r.GetValue(output)!, r.GetValue(type)!));
        return command;
    }

    private static int Run(string inputPath, string outputPath, string typeName)
    {
        var scheme = QuantizationScheme.Parse(typeName);
        if (!File.Exists(inputPath)) throw new FileNotFoundException($"model file '{inputPath}' does not exist", inputPath);
        if (Path.GetFullPath(inputPath) == Path.GetFullPath(outputPath)) throw new ArgumentException($"OUT '{outputPath}' is the input file; choose another path");
        IReadOnlyList<ModelQuantizer.TensorReport> reports = [];
        AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"quantizing to {scheme.Name}", maxValue: 1);
                reports = ModelQuantizer.Quantize(inputPath, outputPath, scheme, new InlineProgress<(int Done, int Count)>(p =>
                {
                    task.MaxValue = p.Count;
                    task.Value = p.Done;
                }));
            });
        var mix = reports.GroupBy(r => r.To).OrderByDescending(g => g.Count()).Select(g => $"{g.Key}×{g.Count()}");
        Console.Out.WriteLine($"{Path.GetFileName(outputPath)}: {new FileInfo(outputPath).Length:N0} bytes, tensors: {string.Join(" ", mix)}");
        return 0;
    }
}
