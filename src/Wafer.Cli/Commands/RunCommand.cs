using System.CommandLine;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Inference;
using Wafer.Models.Sampling;
using Wafer.Models.Tokenization;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer run MODEL --prompt TEXT</c>: streams the continuation to stdout, speed to stderr.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var prompt = new Option<string>("--prompt", "-p") { Description = "Prompt text", Required = true };
        var count = new Option<int>("--n-predict", "-n") { Description = "Tokens to generate", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temp") { Description = "Temperature (0 = greedy)", DefaultValueFactory = _ => 0.8f };
        var seed = new Option<ulong?>("--seed") { Description = "Random seed (default: random)" };
        var topK = new Option<int>("--top-k") { Description = "Top-k (0 = off)", DefaultValueFactory = _ => 40 };
        var topP = new Option<float>("--top-p") { Description = "Top-p (1 = off)", DefaultValueFactory = _ => 0.95f };
        var minP = new Option<float>("--min-p") { Description = "Min-p (0 = off)", DefaultValueFactory = _ => 0.05f };
        var repeat = new Option<float>("--repeat-penalty") { Description = "Repetition penalty (1 = off)", DefaultValueFactory = _ => 1.0f };
        var context = new Option<int>("--ctx", "-c") { Description = "Context length (default: the model's, at most 4096)", DefaultValueFactory = _ => 0 };
        var threads = CommonOptions.Threads();
        var noRepack = CommonOptions.NoRepack();
        var command = new Command("run", "Generate text from a prompt") { model, prompt, count, temperature, seed, topK, topP, minP, repeat, context, threads, noRepack };
        command.SetAction(r => Run(r.GetValue(model)!, r.GetValue(prompt)!, r.GetValue(count), r.GetValue(context), r.GetValue(threads), !r.GetValue(noRepack), new SamplingOptions
        {
            Temperature = r.GetValue(temperature),
            Seed = r.GetValue(seed),
            TopK = r.GetValue(topK),
            TopP = r.GetValue(topP),
            MinP = r.GetValue(minP),
            RepetitionPenalty = r.GetValue(repeat),
        }));
        return command;
    }

    private static int Run(string path, string prompt, int count, int context, int threads, bool repack, SamplingOptions sampling)
    {
        if (count < 0) throw new ArgumentException($"-n must be ≥ 0, got {count}");
        var sampler = SamplerChain.Create(sampling);
        using var model = TransformerModel.Load(path, new WorkerPool(threads), repack);
        var tokenizer = Tokenizer.FromMetadata(model.File.Metadata, Path.GetFileName(path));
        int ctx = context > 0 ? context : Math.Min(model.Config.ContextLength, 4096);
        var tokens = tokenizer.Encode(prompt, addSpecial: true, parseSpecial: true);
        var generator = new SequenceGenerator(model, ctx);
        var decoder = tokenizer.CreateIncrementalDecoder();
        using var stdout = Console.OpenStandardOutput();
        foreach (int token in generator.Generate(tokens, count, sampler, tokenizer.IsEndOfGeneration))
        {
            if (tokenizer.IsEndOfGeneration(token)) break;
            var text = System.Text.Encoding.UTF8.GetBytes(decoder.Append(token));
            stdout.Write(text);
            stdout.Flush();
        }
        stdout.Write(System.Text.Encoding.UTF8.GetBytes(decoder.Flush()));
        stdout.Write("\n"u8);
        stdout.Flush();
        Console.Error.WriteLine(
            $"prompt: {tokens.Count} tokens in {generator.PromptSeconds * 1000:F1} ms ({Rate(tokens.Count, generator.PromptSeconds)} tokens/s); " +
            $"generated: {generator.GeneratedCount} tokens in {generator.GenerationSeconds * 1000:F1} ms ({Rate(generator.GeneratedCount, generator.GenerationSeconds)} tokens/s)");
        return 0;
    }

    private static string Rate(int tokens, double seconds) => seconds > 0 ? (tokens / seconds).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) : "n/a";
}
