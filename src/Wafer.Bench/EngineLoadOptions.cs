using System.Globalization;
using System.Text.Json.Serialization;
using Spectre.Console;
using Wafer.Models.Architectures;
using Wafer.Models.Evaluation;
using Wafer.Models.Tokenization;

namespace Wafer.Bench;

/// <summary>The batching-engine parts of <c>wafer bench engine</c>: <c>--parallel</c> levels and <c>--ttft</c> scenarios.</summary>
internal static class EngineLoadOptions
{
    /// <summary>Prompt tokens of each sequence in the parallel decode test (short, so decoding dominates).</summary>
    private const int ParallelPromptTokens = 16;

    /// <summary>TTFT scenario results in seconds.</summary>
    internal sealed record TtftResults(
        [property: JsonPropertyName("shared_prefix_tokens")] int SharedPrefixTokens,
        [property: JsonPropertyName("ttft_without_prefix_cache_s")] double WithoutPrefixCache,
        [property: JsonPropertyName("ttft_with_prefix_cache_s")] double WithPrefixCache,
        [property: JsonPropertyName("long_prompt_tokens")] int LongPromptTokens,
        [property: JsonPropertyName("short_chats")] int ShortChats,
        [property: JsonPropertyName("short_chat_ttft_p99_alone_s")] double ChatP99Alone,
        [property: JsonPropertyName("short_chat_ttft_p99_with_long_prompt_s")] double ChatP99WithLongPrompt);

    /// <summary>"1,4,16,64" → [1, 4, 16, 64]; empty when absent.</summary>
    public static int[] ParseLevels(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var levels = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out levels[i]) || levels[i] < 1 || levels[i] > 1024)
                throw new ArgumentException($"--parallel: '{parts[i]}' is not a sequence count in 1…1024; pass e.g. 1,4,16,64");
        return levels;
    }

    /// <summary>One tg result per level and depth: generated tokens/s summed over all sequences. At depth 0 each sequence has a
    /// 16-token prompt and the time runs from submission; at a depth d each has a d-token prompt and only the decode after every
    /// sequence's first token is timed ("tg64 @ d2048").</summary>
    public static IEnumerable<EngineBenchmark.Result> ParallelDecode(TransformerModel model, int[] levels, int generatedTokens, int repetitions,
        IReadOnlyList<int> depths, Models.Inference.KvType keyType, Models.Inference.KvType valueType)
    {
        var tokenizer = Tokenizer.FromMetadata(model.File.Metadata, Path.GetFileName(model.File.Path));
        var bench = new EngineLoadBenchmark(model, tokenizer, keyType: keyType, valueType: valueType);
        foreach (int depth in depths)
            foreach (int n in levels)
            {
                var samples = Enumerable.Range(0, repetitions)
                    .Select(_ => bench.ParallelDecodeAsync(n, depth == 0 ? ParallelPromptTokens : depth, generatedTokens, decodeOnly: depth > 0).GetAwaiter().GetResult()).ToList();
                yield return new EngineBenchmark.Result(depth == 0 ? $"tg{generatedTokens}" : $"tg{generatedTokens} @ d{depth}", n, samples);
            }
    }

    /// <summary>The two time-to-first-token scenarios of the batching issue.</summary>
    public static TtftResults TimeToFirstToken(TransformerModel model)
    {
        const int prefix = 1000, question = 24, longPrompt = 2000, chats = 16, chatPrompt = 48, chatOutput = 16, arrivalMs = 50;
        var tokenizer = Tokenizer.FromMetadata(model.File.Metadata, Path.GetFileName(model.File.Path));
        var bench = new EngineLoadBenchmark(model, tokenizer);
        var (without, with) = bench.SharedPrefixTtftAsync(prefix, question).GetAwaiter().GetResult();
        var (alone, mixed) = bench.MixedLoadTtftAsync(chats, chatPrompt, chatOutput, longPrompt, arrivalMs, batchTokens: 512).GetAwaiter().GetResult();
        return new TtftResults(prefix, without, with, longPrompt, chats, alone, mixed);
    }

    public static void Print(TtftResults r)
    {
        var table = new Table().AddColumns("scenario", "without", "with", "ratio");
        table.AddRow($"TTFT after a shared {r.SharedPrefixTokens}-token system prompt (prefix cache off / on)",
            Ms(r.WithoutPrefixCache), Ms(r.WithPrefixCache), $"{r.WithoutPrefixCache / r.WithPrefixCache:F1}× faster");
        table.AddRow($"p99 TTFT of {r.ShortChats} short chats (alone / during a {r.LongPromptTokens}-token prompt)",
            Ms(r.ChatP99Alone), Ms(r.ChatP99WithLongPrompt), $"{r.ChatP99WithLongPrompt / r.ChatP99Alone:F2}× slower");
        AnsiConsole.Write(table);
    }

    private static string Ms(double seconds) => string.Create(CultureInfo.InvariantCulture, $"{seconds * 1000:F1} ms");
}
