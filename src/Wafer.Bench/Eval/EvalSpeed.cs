using System.Diagnostics;
using Wafer.Engine;
using Wafer.Engine.Requests;
using Wafer.Engine.Scheduling;
using Wafer.Models.Inference;

namespace Wafer.Bench.Eval;

/// <summary>Prefill and decode tokens/s of one setting through the serving engine (paged KV cache of the setting's types), as
/// <c>wafer run</c> measures them: one sequence, seeded random prompt ids, greedy, end of text ignored.</summary>
internal static class EvalSpeed
{
    public sealed record Result(double PrefillTokensPerSecond, double DecodeTokensPerSecond, double? JoulesPerToken);

    public static async Task<Result> MeasureAsync(string path, KvType keys, KvType values, EvalOptions options, EnergyCounter? energy)
    {
        var engineOptions = new EngineOptions
        {
            Scheduler = new SchedulerOptions { ContextLength = options.PromptTokens + options.DecodeTokens + 16, MaxSequences = 1 },
            PrefixCaching = false,
            KeyType = keys,
            ValueType = values,
        };
        await using var local = LocalModel.Load(path, engineOptions, options.Threads);
        var random = new Random(1234);
        var prompt = Enumerable.Range(0, options.PromptTokens).Select(_ => random.Next(local.Model.Config.VocabSize)).ToArray();
        var request = new GenerationRequest { PromptTokens = prompt, MaxTokens = options.DecodeTokens, IgnoreEndOfGeneration = true };
        double prefill = 0, decode = 0, joules = 0;
        int decoded = 0;
        for (int r = 0; r <= options.Repetitions; r++)
        {
            long start = Stopwatch.GetTimestamp(), first = 0, last = 0;
            long[]? before = null;
            int count = 0;
            await foreach (var _ in local.Engine.GenerateAsync(request).ConfigureAwait(false))
            {
                last = Stopwatch.GetTimestamp();
                if (count++ == 0)
                {
                    first = last;
                    before = energy?.Read();
                }
            }
            if (r == 0) continue; // warm-up
            prefill += prompt.Length / Stopwatch.GetElapsedTime(start, first).TotalSeconds;
            decode += (count - 1) / Stopwatch.GetElapsedTime(first, last).TotalSeconds;
            if (energy != null && before != null) joules += energy.JoulesBetween(before, energy.Read());
            decoded += count - 1;
        }
        return new Result(prefill / options.Repetitions, decode / options.Repetitions, energy != null && decoded > 0 ? joules / decoded : null);
    }
}
