using System.Diagnostics;
using Wafer.Models.Architectures;
using Wafer.Models.Inference;

namespace Wafer.Models.Evaluation;

/// <summary>llama-bench's two single-stream tests: prompt processing (pp, one batch of N tokens) and token generation (tg, N one-token passes).</summary>
/// <remarks>
/// Both start from an empty cache, as llama-bench does; token ids are drawn with a fixed seed.
/// One untimed warm-up run precedes the timed repetitions.
/// </remarks>
public static class EngineBenchmark
{
    /// <summary>Tokens per second of each repetition (pp: prompt tokens / seconds; tg: generated tokens / seconds).</summary>
    public sealed record Result(string Test, int Parallel, IReadOnlyList<double> TokensPerSecond)
    {
        /// <summary>Mean over the repetitions.</summary>
        public double Mean => TokensPerSecond.Average();

        /// <summary>Sample standard deviation over the repetitions (0 for one).</summary>
        public double StandardDeviation
        {
            get
            {
                if (TokensPerSecond.Count < 2) return 0;
                double mean = Mean;
                return Math.Sqrt(TokensPerSecond.Sum(x => (x - mean) * (x - mean)) / (TokensPerSecond.Count - 1));
            }
        }
    }

    /// <summary>Runs pp<paramref name="promptTokens"/> <paramref name="repetitions"/> times (after one warm-up); with a
    /// <paramref name="depth"/>, as llama-bench's <c>-d</c>: the prompt follows that many tokens already in the cache.</summary>
    public static Result PromptProcessing(TransformerModel model, int promptTokens, int repetitions, int depth = 0, KvType keys = KvType.F32, KvType values = KvType.F32)
    {
        var tokens = RandomTokens(model, promptTokens);
        var cache = Filled(model, depth, depth + promptTokens, keys, values);
        var batch = new ForwardBatch();
        var logits = new float[model.Config.VocabSize];
        for (int i = 0; i < tokens.Length; i++) batch.Add(tokens[i], depth + i, 0, i == tokens.Length - 1);
        var rates = new List<double>();
        for (int r = 0; r <= repetitions; r++)
        {
            long start = Stopwatch.GetTimestamp();
            model.Forward(batch, cache, logits); // rewrites the same positions each time
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (r > 0) rates.Add(promptTokens / seconds);
        }
        return new Result(Name("pp", promptTokens, depth), 1, rates);
    }

    /// <summary>Runs tg<paramref name="generatedTokens"/> <paramref name="repetitions"/> times (after one warm-up), after
    /// <paramref name="depth"/> tokens of context (llama-bench's <c>-d</c>).</summary>
    public static Result TokenGeneration(TransformerModel model, int generatedTokens, int repetitions, int depth = 0, KvType keys = KvType.F32, KvType values = KvType.F32)
    {
        var tokens = RandomTokens(model, generatedTokens);
        var cache = Filled(model, depth, depth + generatedTokens, keys, values);
        var batch = new ForwardBatch();
        var logits = new float[model.Config.VocabSize];
        var rates = new List<double>();
        for (int r = 0; r <= repetitions; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < generatedTokens; i++)
            {
                batch.Clear();
                batch.Add(tokens[i], depth + i, 0, true);
                model.Forward(batch, cache, logits);
            }
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (r > 0) rates.Add(generatedTokens / seconds);
        }
        return new Result(Name("tg", generatedTokens, depth), 1, rates);
    }

    private static string Name(string test, int tokens, int depth) => depth == 0 ? $"{test}{tokens}" : $"{test}{tokens} @ d{depth}";

    /// <summary>A cache of <paramref name="capacity"/> positions whose first <paramref name="depth"/> hold random tokens' keys and
    /// values, written 512 at a time (untimed).</summary>
    private static ContiguousKvCache Filled(TransformerModel model, int depth, int capacity, KvType keys, KvType values)
    {
        if (depth < 0) throw new ArgumentException($"-d {depth} must be 0 or more");
        if (capacity > model.Config.ContextLength)
            throw new ArgumentException($"depth {depth} + {capacity - depth} tokens exceeds the model's context of {model.Config.ContextLength}");
        var cache = new ContiguousKvCache(model.Config, capacity, keys, values);
        var prefix = RandomTokens(model, depth, seed: 99);
        var batch = new ForwardBatch();
        var logits = new float[model.Config.VocabSize];
        for (int start = 0; start < depth; start += 512)
        {
            batch.Clear();
            int end = Math.Min(depth, start + 512);
            for (int i = start; i < end; i++) batch.Add(prefix[i], i, 0, i == end - 1);
            model.Forward(batch, cache, logits);
        }
        return cache;
    }

    private static int[] RandomTokens(TransformerModel model, int count, int seed = 1234)
    {
        var random = new Random(seed);
        var tokens = new int[count];
        for (int i = 0; i < count; i++) tokens[i] = random.Next(model.Config.VocabSize);
        return tokens;
    }
}
