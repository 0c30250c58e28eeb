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

    /// <summary>Runs pp<paramref name="promptTokens"/> <paramref name="repetitions"/> times (after one warm-up).</summary>
    public static Result PromptProcessing(TransformerModel model, int promptTokens, int repetitions)
    {
        var tokens = RandomTokens(model, promptTokens);
        var cache = new ContiguousKvCache(model.Config, promptTokens);
        var batch = new ForwardBatch();
        var logits = new float[model.Config.VocabSize];
        for (int i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, 0, i == tokens.Length - 1);
        var rates = new List<double>();
        for (int r = 0; r <= repetitions; r++)
        {
            long start = Stopwatch.GetTimestamp();
            model.Forward(batch, cache, logits);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (r > 0) rates.Add(promptTokens / seconds);
        }
        return new Result($"pp{promptTokens}", 1, rates);
    }

    /// <summary>Runs tg<paramref name="generatedTokens"/> <paramref name="repetitions"/> times (after one warm-up).</summary>
    public static Result TokenGeneration(TransformerModel model, int generatedTokens, int repetitions)
    {
        var tokens = RandomTokens(model, generatedTokens);
        var cache = new ContiguousKvCache(model.Config, generatedTokens);
        var batch = new ForwardBatch();
        var logits = new float[model.Config.VocabSize];
        var rates = new List<double>();
        for (int r = 0; r <= repetitions; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < generatedTokens; i++)
            {
                batch.Clear();
                batch.Add(tokens[i], i, 0, true);
                model.Forward(batch, cache, logits);
            }
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (r > 0) rates.Add(generatedTokens / seconds);
        }
        return new Result($"tg{generatedTokens}", 1, rates);
    }

    private static int[] RandomTokens(TransformerModel model, int count)
    {
        var random = new Random(1234);
        var tokens = new int[count];
        for (int i = 0; i < count; i++) tokens[i] = random.Next(model.Config.VocabSize);
        return tokens;
    }
}
