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
/// Step 1: one engine without speculation, one with it (a draft model loads once); the free answer C: greedy continuation
/// of the prompt P, speculation off.
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

    /// <summary>The draft model's weights and KV cache in bytes, when the speculation uses one (set by <see cref="RunAsync"/>).</summary>
    public (long Weights, long Kv)? DraftBytes { get; private set; }

    public async Task<IReadOnlyList<Row>> RunAsync(string prompt, int tokens, int rounds)
    {
        int[] p = [.. tokenizer.Encode(prompt)];
        int context = Math.Min(model.Config.ContextLength, 3 * p.Length + 2 * tokens + 16);
        await using var plain = Start(SpeculationOptions.Off, context);
        await using var spec = Start(speculation, context);
        if (spec.DraftModel is { } draft) DraftBytes = (draft.WeightBytes, draft.KvBytes);
        var greedy = new GenerationRequest { PromptTokens = p, MaxTokens = tokens, Sampling = SamplingOptions.Greedy, IgnoreEndOfGeneration = true };
        int[] answer = (await Generate(plain, greedy)).Tokens;
        var workloads = new List<(string Name, GenerationRequest Request)>
        {
            ("free", greedy),
            ("copy", greedy with { PromptTokens = [.. p, .. answer, .. p[(tokenizer.AddBos ? 1 : 0)..]] }), // the passage again, without a second BOS
            // A prediction feeds the n-gram proposer, whatever the server's method.
            ("predicted", greedy with { PredictionTokens = answer, Speculation = SpeculationMethod.Ngram }),
        };
        var rows = new List<Row>();
        foreach (var (name, request) in workloads)
        {
            var off = new List<double>();
            var on = new List<double>();
            var (drafted0, accepted0) = spec.SpeculationCounts;
            long verifications0 = spec.SpeculationVerifications;
            bool same = true;
            for (int round = 0; round < rounds; round++)
            {
                var r = await Generate(plain, request with { Speculation = SpeculationMethod.None });
                off.Add(r.Rate);
                var s = await Generate(spec, request);
                on.Add(s.Rate);
                same &= s.Tokens.AsSpan().SequenceEqual(r.Tokens);
            }
            long drafted = spec.SpeculationCounts.Drafted - drafted0, accepted = spec.SpeculationCounts.Accepted - accepted0;
            long verifications = spec.SpeculationVerifications - verifications0;
            rows.Add(new Row(name, tokens, Median(off), Median(on), Median(on.Zip(off, (a, b) => a / b).ToList()), drafted / rounds, accepted / rounds,
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

    private static double Median(List<double> values) => values.Count == 0 ? 0 : Percentile.OfSorted([.. values.Order()], 50);
}
