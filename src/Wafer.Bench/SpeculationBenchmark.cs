using System.Diagnostics;
using Wafer.Engine;
using Wafer.Engine.Requests;
using Wafer.Engine.Scheduling;
using Wafer.Engine.Speculation;
using Wafer.Models.Architectures;
using Wafer.Models.Sampling;
using Wafer.Models.Tokenization;

namespace Wafer.Bench;

/// <summary>Batch-1 decode speed with and without speculative decoding, on three workloads, in alternating rounds.</summary>
/// <remarks>
/// Step 1: the free answer C: greedy continuation of the prompt P, speculation off (its tokens are the reference).
/// Step 2: per round, per workload, run it with speculation off, then on: tokens/s of the decode (first token to last),
/// the drafts proposed and accepted, the verifications, and whether the tokens equal the reference run's.
/// Workloads: "free" (P, n-gram drafts from whatever repeats), "copy" (P + C + P: the answer repeats a passage of the
/// prompt, as RAG answers and code edits do), "predicted" (P with C as OpenAI's prediction: an exact Predicted Output).
/// </remarks>
public sealed class SpeculationBenchmark(TransformerModel model, Tokenizer tokenizer, SpeculationOptions speculation)
{
    /// <summary>One workload's result: medians over rounds.</summary>
    public sealed record Row(string Workload, int Tokens, double OffTokensPerSecond, double OnTokensPerSecond, double Speedup,
        long Drafted, long Accepted, double AcceptanceRate, double MeanAcceptedLength, bool SameTokens);

    private InferenceEngine Start(SpeculationOptions options, int context) => new(model, tokenizer, new EngineOptions
    {
        Scheduler = new SchedulerOptions { MaxSequences = 1, ContextLength = context, Speculation = options },
        KvCacheTokens = context * 2,
        PrefixCaching = false,
    });

    public async Task<IReadOnlyList<Row>> RunAsync(string prompt, int tokens, int rounds)
    {
        int[] p = [.. tokenizer.Encode(prompt)];
        int context = Math.Min(model.Config.ContextLength, 3 * p.Length + 2 * tokens + 16);
        int[] answer;
        await using (var reference = Start(SpeculationOptions.Off, context))
            answer = (await Generate(reference, new GenerationRequest { PromptTokens = p, MaxTokens = tokens, Sampling = SamplingOptions.Greedy, IgnoreEndOfGeneration = true })).Tokens;
        var workloads = new (string Name, GenerationRequest Request)[]
        {
            ("free", new GenerationRequest { PromptTokens = p, MaxTokens = tokens, Sampling = SamplingOptions.Greedy, IgnoreEndOfGeneration = true }),
            ("copy", new GenerationRequest { PromptTokens = [.. p, .. answer, .. p[1..]], MaxTokens = tokens, Sampling = SamplingOptions.Greedy, IgnoreEndOfGeneration = true }),
            ("predicted", new GenerationRequest { PromptTokens = p, MaxTokens = tokens, Sampling = SamplingOptions.Greedy, IgnoreEndOfGeneration = true, PredictionTokens = answer }),
        };
        var rows = new List<Row>();
        foreach (var (name, request) in workloads)
        {
            var off = new List<double>();
            var on = new List<double>();
            long drafted = 0, accepted = 0, verifications = 0;
            bool same = true;
            for (int round = 0; round < rounds; round++)
            {
                await using (var plain = Start(SpeculationOptions.Off, context))
                {
                    var r = await Generate(plain, request with { Speculation = SpeculationMethod.None });
                    off.Add(r.Rate);
                    var expected = r.Tokens;
                    await using var spec = Start(speculation with { Method = SpeculationMethod.Ngram }, context);
                    var s = await Generate(spec, request);
                    on.Add(s.Rate);
                    same &= s.Tokens.AsSpan().SequenceEqual(expected);
                    drafted += spec.SpeculationCounts.Drafted;
                    accepted += spec.SpeculationCounts.Accepted;
                    verifications += spec.SpeculationVerifications;
                }
            }
            double offRate = Median(off), onRate = Median(on);
            rows.Add(new Row(name, tokens, offRate, onRate, Median(on.Zip(off, (a, b) => a / b).ToList()), drafted / rounds, accepted / rounds,
                drafted == 0 ? 0 : (double)accepted / drafted, verifications == 0 ? 0 : (double)accepted / verifications, same));
        }
        return rows;
    }

    private static async Task<(int[] Tokens, double Rate)> Generate(InferenceEngine engine, GenerationRequest request)
    {
        var tokens = new List<int>();
        long first = 0, last = 0;
        await foreach (var e in engine.GenerateAsync(request).ConfigureAwait(false))
        {
            last = Stopwatch.GetTimestamp();
            if (tokens.Count == 0) first = last;
            tokens.Add(e.Token);
        }
        double seconds = Stopwatch.GetElapsedTime(first, last).TotalSeconds;
        return ([.. tokens], seconds > 0 ? (tokens.Count - 1) / seconds : 0);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
