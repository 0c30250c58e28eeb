using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Wafer.Engine;
using Wafer.Engine.Requests;
using Wafer.Engine.Scheduling;
using Wafer.Models;
using Wafer.Models.Constraints;
using Wafer.Models.Sampling;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer run MODEL --prompt TEXT</c>: streams the continuation to stdout, speed to stderr. It generates through
/// the same <see cref="InferenceEngine"/> as the server (one sequence, a KV cache of one context), with the same
/// <see cref="SamplingDefaults"/>.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var prompt = new Option<string>("--prompt", "-p") { Description = "Prompt text", Required = true };
        var count = new Option<int>("--n-predict", "-n") { Description = "Tokens to generate (stops earlier at the end of the context)", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temp") { Description = "Temperature (0 = greedy)", DefaultValueFactory = _ => SamplingDefaults.Temperature };
        var seed = new Option<ulong?>("--seed") { Description = "Random seed (default: random)" };
        var topK = new Option<int>("--top-k") { Description = "Top-k (0 = off)", DefaultValueFactory = _ => SamplingDefaults.TopK };
        var topP = new Option<float>("--top-p") { Description = "Top-p (1 = off)", DefaultValueFactory = _ => SamplingDefaults.TopP };
        var minP = new Option<float>("--min-p") { Description = "Min-p (0 = off)", DefaultValueFactory = _ => SamplingDefaults.MinP };
        var repeat = new Option<float>("--repeat-penalty") { Description = "Repetition penalty (1 = off)", DefaultValueFactory = _ => SamplingDefaults.RepetitionPenalty };
        var context = new Option<int>("--ctx", "-c") { Description = $"Context length (default: the model's, at most {EngineOptions.DefaultMaxContextLength})", DefaultValueFactory = _ => 0 };
        var threads = CommonOptions.Threads();
        var noRepack = CommonOptions.NoRepack();
        var grammar = new Option<string?>("--grammar-file") { Description = "Constrain the output to a GBNF grammar (llama.cpp's dialect) read from this file" };
        var schema = new Option<string?>("--json-schema-file") { Description = "Constrain the output to JSON matching the JSON schema in this file" };
        var spec = CommonOptions.Spec();
        var draftTokens = CommonOptions.DraftTokens();
        var draft = CommonOptions.Draft();
        var kvType = CommonOptions.KvType("f16");
        var command = new Command("run", "Generate text from a prompt") { model, prompt, count, temperature, seed, topK, topP, minP, repeat, context, threads, noRepack, grammar, schema, spec, draftTokens, draft, kvType.Both, kvType.Keys, kvType.Values };
        command.SetAction(r => Run(ModelNames.Resolve(r.GetValue(model)!), r.GetValue(prompt)!, r.GetValue(count), r.GetValue(context), r.GetValue(threads), !r.GetValue(noRepack),
            CommonOptions.KvTypes(r, kvType),
            CommonOptions.Speculation(r.GetValue(spec)!, r.GetValue(draftTokens), r.GetValue(draft)),
            Constraint(r.GetValue(grammar), r.GetValue(schema)), new SamplingOptions
        {
            Temperature = r.GetValue(temperature),
            Seed = r.GetValue(seed),
            TopK = r.GetValue(topK),
            TopP = r.GetValue(topP),
            MinP = r.GetValue(minP),
            RepetitionPenalty = r.GetValue(repeat),
        }).GetAwaiter().GetResult());
        return command;
    }

    private static Grammar? Constraint(string? grammarFile, string? schemaFile)
    {
        if (grammarFile != null && schemaFile != null) throw new ArgumentException("give --grammar-file or --json-schema-file, not both");
        string? file = grammarFile ?? schemaFile;
        if (file == null) return null;
        if (!File.Exists(file)) throw new FileNotFoundException($"'{file}' does not exist");
        try
        {
            if (grammarFile != null) return Grammar.Parse(File.ReadAllText(file));
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
            return JsonSchemaGrammar.Compile(doc.RootElement);
        }
        catch (GrammarException e)
        {
            throw new ArgumentException($"{file}: {e.Message}");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ArgumentException($"{file} is not valid JSON: {e.Message}");
        }
    }

    private static async Task<int> Run(string path, string prompt, int count, int context, int threads, bool repack,
        (Wafer.Models.Inference.KvType Keys, Wafer.Models.Inference.KvType Values) kvTypes, Wafer.Engine.Speculation.SpeculationOptions speculation,
        Grammar? grammar, SamplingOptions sampling)
    {
        if (count < 0) throw new ArgumentException($"-n must be ≥ 0, got {count}");
        if (context < 0) throw new ArgumentException($"--ctx must be ≥ 0 (0 = the model's), got {context}");
        sampling.Validate();
        var options = new EngineOptions
        {
            Scheduler = new SchedulerOptions { ContextLength = context, MaxSequences = 1, Speculation = speculation },
            PrefixCaching = false,
            KeyType = kvTypes.Keys,
            ValueType = kvTypes.Values,
        };
        // One sequence: the default KV sizing then gives exactly one context.
        await using var local = LocalModel.Load(path, options, threads, repack: repack);
        var engine = local.Engine;
        var tokens = local.Tokenizer.Encode(prompt, addSpecial: true, parseSpecial: true);
        int room = engine.ContextLength - tokens.Count;
        var request = new GenerationRequest
        {
            PromptTokens = tokens,
            Sampling = sampling,
            // -n 0 still runs the prompt (and samples once, unshown) so its speed is reported; past the context it stops there.
            MaxTokens = room > 0 ? Math.Clamp(count, 1, room) : 1,
            Grammar = grammar,
        };

        using var stdout = Console.OpenStandardOutput();
        long start = Stopwatch.GetTimestamp();
        long first = 0, last = 0;
        int generated = 0;
        try
        {
            await foreach (var e in engine.GenerateAsync(request).ConfigureAwait(false))
            {
                last = Stopwatch.GetTimestamp();
                if (first == 0) first = last;
                generated++;
                if (count == 0) continue;
                stdout.Write(System.Text.Encoding.UTF8.GetBytes(e.Text));
                stdout.Flush();
            }
        }
        catch (InvalidParameterException e) when (e.Code == "context_length_exceeded")
        {
            throw new ArgumentException($"the prompt has {tokens.Count} tokens, which does not fit the context of {engine.ContextLength}; shorten it or raise --ctx");
        }
        stdout.Write("\n"u8);
        stdout.Flush();
        double promptSeconds = Stopwatch.GetElapsedTime(start, first).TotalSeconds;
        double generationSeconds = Stopwatch.GetElapsedTime(first, last).TotalSeconds;
        // The first token comes with the prompt's pass; the rate is of the tokens after it.
        Console.Error.WriteLine(
            $"prompt: {tokens.Count} tokens in {promptSeconds * 1000:F1} ms ({Rate(tokens.Count, promptSeconds)} tokens/s); " +
            $"generated: {(count == 0 ? 0 : generated)} tokens in {generationSeconds * 1000:F1} ms ({Rate(generated - 1, generationSeconds)} tokens/s)");
        if (speculation.Method != Wafer.Engine.Speculation.SpeculationMethod.None)
        {
            var (drafted, accepted) = engine.SpeculationCounts;
            long verifications = engine.SpeculationVerifications;
            Console.Error.WriteLine($"speculation: {accepted} of {drafted} draft tokens accepted ({(drafted == 0 ? 0 : 100.0 * accepted / drafted):F0} %), " +
                $"{(verifications == 0 ? 0 : (double)accepted / verifications):F2} per verification over {verifications} verifications");
        }
        return 0;
    }

    private static string Rate(int tokens, double seconds) => seconds > 0 && tokens > 0 ? (tokens / seconds).ToString("F1", CultureInfo.InvariantCulture) : "n/a";
}
