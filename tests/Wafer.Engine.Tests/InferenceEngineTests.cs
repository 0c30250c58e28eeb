using Wafer.Engine.Requests;
using Wafer.Models.Sampling;

namespace Wafer.Engine.Tests;

public class InferenceEngineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>50 requests: random prompts (a third share a 40-token prefix), random lengths, random arrival.</summary>
    private static List<GenerationRequest> RandomRequests(int count, int seed, int topLogprobs = -1)
    {
        var random = new Random(seed);
        var shared = Enumerable.Range(0, 40).Select(_ => random.Next(3, 512)).ToArray();
        var requests = new List<GenerationRequest>();
        for (int i = 0; i < count; i++)
        {
            var own = Enumerable.Range(0, random.Next(1, 60)).Select(_ => random.Next(3, 512));
            int[] prompt = [1, .. (i % 3 == 0 ? shared.Concat(own) : own)];
            // Half greedy, half seeded sampling: both must not depend on who shares the batch.
            var sampling = i % 2 == 0 ? SamplingOptions.Greedy : new SamplingOptions { Temperature = 0.9f, TopK = 20, Seed = (ulong)(1000 + i) };
            requests.Add(new GenerationRequest { PromptTokens = prompt, MaxTokens = random.Next(1, 40), TopLogprobs = topLogprobs, Sampling = sampling });
        }
        return requests;
    }

    [Fact]
    public async Task GenerateAsync_50RequestsTogether_GreedyAndSeededEqualOneAtATime()
    {
        var (model, tokenizer) = EngineFixture.Load();
        using var _ = model;
        var requests = RandomRequests(50, seed: 5);

        var alone = new List<int[]>();
        await using (var engine = EngineFixture.Start(model, tokenizer, prefixCaching: false))
            foreach (var r in requests) alone.Add([.. (await EngineFixture.Collect(engine, r)).Select(e => e.Token)]);

        await using var shared = EngineFixture.Start(model, tokenizer, maxSequences: 16, batchTokens: 128);
        var random = new Random(9);
        var together = await Task.WhenAll(requests.Select(async (r, i) =>
        {
            await Task.Delay(random.Next(0, 40));
            return (await EngineFixture.Collect(shared, r)).Select(e => e.Token).ToArray();
        })).WaitAsync(Timeout);

        for (int i = 0; i < requests.Count; i++) Assert.Equal(alone[i], together[i]);
        Assert.True(shared.PrefixCacheStats.HitTokens > 0, "requests sharing a prefix should hit the prefix cache");
        Assert.Equal(0, shared.KvBlocks.Used);
    }

    [Fact]
    public async Task GenerateAsync_PrefixCacheHit_LogprobsIdentical()
    {
        var (model, tokenizer) = EngineFixture.Load();
        using var _ = model;
        int[] prompt = [1, .. Enumerable.Range(0, 70).Select(i => 3 + (i * 37 % 500))];
        var request = new GenerationRequest { PromptTokens = prompt, MaxTokens = 12, TopLogprobs = 5 };

        await using var engine = EngineFixture.Start(model, tokenizer);
        var cold = await EngineFixture.Collect(engine, request);
        var warm = await EngineFixture.Collect(engine, request);
        await using var uncached = EngineFixture.Start(model, tokenizer, prefixCaching: false);
        var reference = await EngineFixture.Collect(uncached, request);

        Assert.Equal(0, cold[^1].Usage!.CachedPromptTokens);
        Assert.Equal(64, warm[^1].Usage!.CachedPromptTokens);
        for (int i = 0; i < cold.Count; i++)
        {
            Assert.Equal(reference[i].Token, warm[i].Token);
            Assert.Equal(reference[i].Logprobs!.LogProb, warm[i].Logprobs!.LogProb);
            Assert.Equal(reference[i].Logprobs!.Top, warm[i].Logprobs!.Top);
            Assert.Equal(cold[i].Logprobs!.Top, warm[i].Logprobs!.Top);
        }
    }

    [Fact]
    public async Task GenerateAsync_1000RandomRequestsWithCancellationsAndPreemptions_PoolBackToFull()
    {
        var (model, tokenizer) = EngineFixture.Load();
        using var _ = model;
        // 32 blocks of 16 tokens for up to 16 sequences of up to ~130 tokens: preemption is certain.
        await using var engine = EngineFixture.Start(model, tokenizer, maxSequences: 16, batchTokens: 128, kvTokens: 512, context: 256);
        var random = new Random(11);
        var requests = Enumerable.Range(0, 1000).Select(i => (
            Request: new GenerationRequest
            {
                PromptTokens = [1, .. Enumerable.Range(0, random.Next(0, 100)).Select(_ => random.Next(3, 512))],
                MaxTokens = random.Next(1, 30),
                IgnoreEndOfGeneration = true,
                Sampling = i % 2 == 0 ? SamplingOptions.Greedy : new SamplingOptions { Temperature = 1, Seed = (ulong)i },
            },
            CancelAfterTokens: random.Next(5) == 0 ? random.Next(0, 10) : -1)).ToList();

        int finished = 0, cancelled = 0;
        await Task.WhenAll(requests.Select(async r =>
        {
            using var cts = new CancellationTokenSource();
            int tokens = 0;
            bool done = false;
            try
            {
                if (r.CancelAfterTokens == 0) cts.Cancel();
                await foreach (var e in engine.GenerateAsync(r.Request, cts.Token))
                {
                    if (e.FinishReason != null)
                    {
                        done = true;
                        Interlocked.Increment(ref finished);
                    }
                    if (++tokens == r.CancelAfterTokens) cts.Cancel();
                }
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                if (!done) Interlocked.Increment(ref cancelled);
            }
        })).WaitAsync(TimeSpan.FromMinutes(5));

        Assert.Equal(1000, finished + cancelled);
        Assert.True(cancelled > 0);
        Assert.True(engine.PreemptionCount > 0, "the small KV cache should have forced preemptions");
        await WaitUntil(() => engine.KvBlocks.Used == 0 && engine.RunningCount == 0 && engine.WaitingCount == 0);
        Assert.Equal(0, engine.KvBlocks.Used);
    }

    [Fact]
    public async Task GenerateAsync_StopString_CutsTextAndFinishes()
    {
        var (model, tokenizer) = EngineFixture.Load();
        using var _ = model;
        await using var engine = EngineFixture.Start(model, tokenizer);
        var prompt = tokenizer.Encode("Once upon a time");
        var full = string.Concat((await EngineFixture.Collect(engine, new GenerationRequest { PromptTokens = [.. prompt], MaxTokens = 32 })).Select(e => e.Text));
        Assert.StartsWith(", there was a little girl named Lily.", full);

        var events = await EngineFixture.Collect(engine, new GenerationRequest { PromptTokens = [.. prompt], MaxTokens = 32, StopStrings = ["Lily"] });

        Assert.Equal(", there was a little girl named ", string.Concat(events.Select(e => e.Text)));
        Assert.Equal(FinishReason.Stop, events[^1].FinishReason);
    }

    [Fact]
    public async Task GenerateAsync_PromptTooLong_ThrowsNamingThePrompt()
    {
        var (model, tokenizer) = EngineFixture.Load();
        using var _ = model;
        await using var engine = EngineFixture.Start(model, tokenizer, context: 64);
        var request = new GenerationRequest { PromptTokens = Enumerable.Repeat(5, 64).ToArray() };
        var e = await Assert.ThrowsAsync<Wafer.Models.InvalidParameterException>(() => EngineFixture.Collect(engine, request));
        Assert.Equal(("prompt", "context_length_exceeded"), (e.Parameter, e.Code));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++) await Task.Delay(10);
    }
}
