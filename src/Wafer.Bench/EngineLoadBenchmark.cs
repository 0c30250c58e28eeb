using System.Diagnostics;
using Wafer.Engine;
using Wafer.Engine.Requests;
using Wafer.Engine.Scheduling;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Tokenization;

namespace Wafer.Bench;

/// <summary>Engine-level load measurements: aggregate decode speed of N concurrent sequences, time to first token
/// with and without a cached shared prefix, and short chats' TTFT while a long prompt is prefilled.</summary>
/// <remarks>Prompts are random token ids (seeded): speed does not depend on what the tokens say.</remarks>
internal sealed class EngineLoadBenchmark(TransformerModel model, Tokenizer tokenizer, int seed = 1,
    Wafer.Models.Inference.KvType keyType = Wafer.Models.Inference.KvType.F32, Wafer.Models.Inference.KvType valueType = Wafer.Models.Inference.KvType.F32)
{
    private readonly Random _random = new(seed);

    private InferenceEngine StartEngine(int maxSequences, bool prefixCaching, int contextLength, int batchTokens = 512) =>
        new(model, tokenizer, new EngineOptions
        {
            Scheduler = new SchedulerOptions { MaxSequences = maxSequences, ContextLength = contextLength, MaxBatchTokens = batchTokens },
            KvCacheTokens = (long)contextLength * Math.Max(2, maxSequences),
            PrefixCaching = prefixCaching,
            KeyType = keyType,
            ValueType = valueType,
        });

    private int[] RandomTokens(int count)
    {
        var tokens = new int[count];
        for (int i = 0; i < count; i++) tokens[i] = _random.Next(Math.Min(100, model.Config.VocabSize / 2), model.Config.VocabSize);
        return tokens;
    }

    /// <summary>Generated tokens per second over all <paramref name="parallel"/> sequences, from submission to the last token;
    /// with <paramref name="decodeOnly"/>, only the tokens after the moment every sequence has its first one, over the time from
    /// that moment to the last token (decode at a depth of <paramref name="promptTokens"/>, without the prompts' prefill).</summary>
    public async Task<double> ParallelDecodeAsync(int parallel, int promptTokens, int generateTokens, bool decodeOnly = false)
    {
        await using var engine = StartEngine(parallel, prefixCaching: false, contextLength: promptTokens + generateTokens + 8);
        var requests = Enumerable.Range(0, parallel).Select(_ => new GenerationRequest
        {
            PromptTokens = RandomTokens(promptTokens),
            MaxTokens = generateTokens,
            IgnoreEndOfGeneration = true,
        }).ToList();
        var clock = Stopwatch.StartNew();
        var stamps = new long[parallel][];
        int started = 0;
        long allStarted = 0;
        await Task.WhenAll(requests.Select(async (r, i) =>
        {
            var own = stamps[i] = new long[generateTokens];
            int n = 0;
            await foreach (var _ in engine.GenerateAsync(r).ConfigureAwait(false))
            {
                long now = clock.ElapsedTicks;
                if (n == 0 && Interlocked.Increment(ref started) == parallel) Volatile.Write(ref allStarted, now);
                if (n < own.Length) own[n] = now;
                n++;
            }
            if (n < own.Length) Array.Resize(ref stamps[i], n);
        })).ConfigureAwait(false);
        long end = clock.ElapsedTicks;
        if (!decodeOnly) return stamps.Sum(s => s.Length) / clock.Elapsed.TotalSeconds;
        long after = stamps.Sum(s => s.LongCount(t => t > allStarted));
        return after / ((end - allStarted) / (double)Stopwatch.Frequency);
    }

    /// <summary>Time to first token of a request whose <paramref name="prefixTokens"/>-token system prompt another request already computed, with and without the prefix cache.</summary>
    public async Task<(double WithoutCacheSeconds, double WithCacheSeconds)> SharedPrefixTtftAsync(int prefixTokens, int questionTokens)
    {
        var prefix = RandomTokens(prefixTokens);
        int[] First() => [.. prefix, .. RandomTokens(questionTokens)];
        double without, with;
        await using (var cold = StartEngine(4, prefixCaching: false, contextLength: prefixTokens + questionTokens + 16))
        {
            await TimeToFirstTokenAsync(cold, First()).ConfigureAwait(false);
            without = await TimeToFirstTokenAsync(cold, First()).ConfigureAwait(false);
        }
        await using (var warm = StartEngine(4, prefixCaching: true, contextLength: prefixTokens + questionTokens + 16))
        {
            await TimeToFirstTokenAsync(warm, First()).ConfigureAwait(false);
            with = await TimeToFirstTokenAsync(warm, First()).ConfigureAwait(false);
        }
        return (without, with);
    }

    /// <summary>p99 time to first token of <paramref name="chats"/> short chats arriving every <paramref name="arrivalMs"/> ms,
    /// alone and while one <paramref name="longPromptTokens"/>-token prompt is being prefilled.</summary>
    public async Task<(double AloneP99, double WithLongPromptP99)> MixedLoadTtftAsync(int chats, int chatPromptTokens, int chatOutputTokens,
        int longPromptTokens, int arrivalMs, int batchTokens)
    {
        double alone = await ChatsP99Async(null).ConfigureAwait(false);
        double mixed = await ChatsP99Async(RandomTokens(longPromptTokens)).ConfigureAwait(false);
        return (alone, mixed);

        async Task<double> ChatsP99Async(int[]? longPrompt)
        {
            await using var engine = StartEngine(chats + 1, prefixCaching: false, contextLength: Math.Max(longPromptTokens, chatPromptTokens) + chatOutputTokens + 16, batchTokens);
            Task? background = null;
            if (longPrompt != null)
            {
                background = Task.Run(async () =>
                {
                    await foreach (var _ in engine.GenerateAsync(new GenerationRequest { PromptTokens = longPrompt, MaxTokens = 1, IgnoreEndOfGeneration = true }).ConfigureAwait(false)) { }
                });
                await Task.Delay(arrivalMs).ConfigureAwait(false);
            }
            var tasks = new List<Task<double>>();
            for (int i = 0; i < chats; i++)
            {
                var prompt = RandomTokens(chatPromptTokens);
                tasks.Add(Task.Run(() => TimeToFirstTokenAsync(engine, prompt, chatOutputTokens)));
                await Task.Delay(arrivalMs).ConfigureAwait(false);
            }
            var ttfts = await Task.WhenAll(tasks).ConfigureAwait(false);
            if (background != null) await background.ConfigureAwait(false);
            Array.Sort(ttfts);
            return ttfts[Math.Clamp((int)Math.Ceiling(0.99 * ttfts.Length) - 1, 0, ttfts.Length - 1)];
        }
    }

    private static async Task<double> TimeToFirstTokenAsync(InferenceEngine engine, int[] prompt, int maxTokens = 1)
    {
        long start = Stopwatch.GetTimestamp();
        double ttft = -1;
        await foreach (var _ in engine.GenerateAsync(new GenerationRequest { PromptTokens = prompt, MaxTokens = maxTokens, IgnoreEndOfGeneration = true }).ConfigureAwait(false))
            if (ttft < 0) ttft = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return ttft;
    }

    /// <summary>Loads a model for the benchmark.</summary>
    public static (TransformerModel Model, Tokenizer Tokenizer) Load(string path, int threads)
    {
        var model = TransformerModel.Load(path, new WorkerPool(threads));
        return (model, Tokenizer.FromMetadata(model.File.Metadata, Path.GetFileName(path)));
    }
}
