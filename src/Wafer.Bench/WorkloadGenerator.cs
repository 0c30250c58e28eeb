using System.Text;

namespace Wafer.Bench;

/// <summary>Builds the requests of a workload from the word list; the same options and seed give the same requests.</summary>
internal static class WorkloadGenerator
{
    public static IReadOnlyList<BenchRequest> Generate(WorkloadOptions options, int count, int seed)
    {
        options.Validate();
        if (count < 1) throw new ArgumentException($"--requests must be at least 1, got {count}");
        var random = new Random(seed);
        string[] prefixes = options.Kind == WorkloadKind.SharedPrefix ? Prefixes(options, random) : [];
        var requests = new BenchRequest[count];
        for (int i = 0; i < count; i++)
        {
            bool isLong = options.Kind == WorkloadKind.LongPrompt
                || (options.Kind == WorkloadKind.Mixed && random.NextDouble() < options.LongFraction);
            int group = options.Kind == WorkloadKind.SharedPrefix ? random.Next(prefixes.Length) : -1;
            int words = (isLong ? options.LongPromptTokens : options.PromptTokens).Sample(random);
            var prompt = new StringBuilder(words * 6);
            WordList.AppendWords(prompt, words, random);
            string? system = group >= 0 ? prefixes[group] : null;
            int total = words + (group >= 0 ? options.PrefixTokens : 0);
            requests[i] = new BenchRequest(i, system, prompt.ToString(), total, options.OutputTokens, group, isLong);
        }
        return requests;
    }

    private static string[] Prefixes(WorkloadOptions options, Random random)
    {
        var prefixes = new string[options.PrefixGroupCount];
        for (int g = 0; g < prefixes.Length; g++)
        {
            var text = new StringBuilder(options.PrefixTokens * 6);
            WordList.AppendWords(text, options.PrefixTokens, random);
            prefixes[g] = text.ToString();
        }
        return prefixes;
    }
}
