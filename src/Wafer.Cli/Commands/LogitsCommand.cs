using System.CommandLine;
using System.Globalization;
using System.Text;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Evaluation;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer logits MODEL --tokens "1 2 3"</c>: one JSON line per position with the top log-probabilities.</summary>
internal static class LogitsCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var tokens = new Option<string>("--tokens") { Description = "Token ids separated by spaces or commas", Required = true };
        var top = new Option<int>("--top") { Description = "How many (id, logprob) pairs per position", DefaultValueFactory = _ => 10 };
        var threads = CommonOptions.Threads();
        var command = new Command("logits", "Run token ids as one batch and print the top log-probabilities at every position") { model, tokens, top, threads };
        command.SetAction(r => Run(ModelNames.Resolve(r.GetValue(model)!), r.GetValue(tokens)!, r.GetValue(top), r.GetValue(threads)));
        return command;
    }

    internal static int[] ParseIds(string text, string option)
    {
        var parts = text.Split([' ', ',', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i].Trim('[', ']'), NumberStyles.Integer, CultureInfo.InvariantCulture, out ids[i]) || ids[i] < 0)
                throw new ArgumentException($"{option}: '{parts[i]}' is not a token id; pass non-negative integers such as \"1 15043 29892\"");
        if (ids.Length == 0) throw new ArgumentException($"{option} is empty; pass at least one token id");
        return ids;
    }

    private static int Run(string path, string tokenText, int top, int threads)
    {
        if (top < 1) throw new ArgumentException($"--top must be at least 1, got {top}");
        var ids = ParseIds(tokenText, "--tokens");
        using var model = TransformerModel.Load(path, new WorkerPool(threads));
        if (ids.Length > model.Config.ContextLength)
            throw new ArgumentException($"--tokens has {ids.Length} ids, more than the model's context of {model.Config.ContextLength}");
        foreach (int id in ids)
            if (id >= model.Config.VocabSize) throw new ArgumentException($"--tokens: id {id} is outside the vocabulary (size {model.Config.VocabSize})");
        int vocab = model.Config.VocabSize;
        var positions = Enumerable.Range(0, ids.Length).ToArray();
        var logProbs = TeacherForcing.LogProbabilities(model, ids, positions);
        var line = new StringBuilder();
        for (int p = 0; p < ids.Length; p++)
        {
            line.Clear().Append("{\"pos\": ").Append(p).Append(", \"top\": [");
            var best = TeacherForcing.Top(logProbs.AsSpan(p * vocab, vocab), Math.Min(top, vocab));
            for (int i = 0; i < best.Length; i++)
            {
                if (i > 0) line.Append(", ");
                line.Append('[').Append(best[i].Id).Append(", ").Append(best[i].LogProb.ToString("R", CultureInfo.InvariantCulture)).Append(']');
            }
            Console.Out.WriteLine(line.Append("]}").ToString());
        }
        return 0;
    }
}
