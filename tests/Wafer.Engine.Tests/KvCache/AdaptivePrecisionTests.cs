using Wafer.Engine.Adaptive;
using Wafer.Engine.KvCache;
using Wafer.Engine.Requests;
using Wafer.Engine.Scheduling;
using Wafer.Engine.Speculation;
using Wafer.Kernels.Parallelism;
using Wafer.Models;
using Wafer.Models.Architectures;
using Wafer.Models.Inference;
using Wafer.Models.Tests.Architectures;
using Wafer.Models.Tokenization;

namespace Wafer.Engine.Tests.KvCache;

/// <summary><c>--adaptive</c>: sequences at two precisions in one paged cache. A sequence stored at the reduced precision computes
/// exactly what an engine with only that precision computes, and one at full precision what a full-precision engine does, even
/// in the same batch; the pool's bytes move between the tiers; and the engine follows <see cref="AdaptivePolicy"/>.</summary>
public sealed class AdaptivePrecisionTests : IDisposable
{
    private static readonly TimeSpan HangTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-adaptive-").FullName;
    private readonly TransformerModel _model;
    private readonly Tokenizer _tokenizer;

    public AdaptivePrecisionTests()
    {
        // Heads of 32 values (Q8_0 needs a multiple of 32), 2 KV heads: a KV row of 64 values, 256 bytes F32, 68 Q8_0.
        _model = TransformerModel.Load(TinyModel.Write(_dir, "llama", seed: 3, embedding: 128, feedForward: 96), new WorkerPool(2));
        _tokenizer = Tokenizer.FromMetadata(_model.File.Metadata, "tiny.gguf");
    }

    public void Dispose()
    {
        _model.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static readonly KvPrecision Q8 = new(KvType.Q8_0, KvType.Q8_0);

    private InferenceEngine Start(KvType type, AdaptiveOptions? adaptive = null, long kvTokens = 512, SpeculationOptions? speculation = null) => new(_model, _tokenizer, new EngineOptions
    {
        Scheduler = new SchedulerOptions { ContextLength = 64, MaxSequences = 8, MaxBatchTokens = 64, Speculation = speculation ?? SpeculationOptions.Off },
        KvCacheTokens = kvTokens,
        KeyType = type,
        ValueType = type,
        Adaptive = adaptive,
    });

    private static GenerationRequest Request(int seed, int promptLength = 20, int maxTokens = 12, KvQuality quality = KvQuality.Auto) => new()
    {
        PromptTokens = [.. Enumerable.Range(0, promptLength).Select(i => (i * 7 + seed) % TinyModel.Vocab)],
        MaxTokens = maxTokens,
        IgnoreEndOfGeneration = true,
        TopLogprobs = 3,
        Quality = quality,
    };

    private static async Task<List<TokenEvent>> Collect(GenerationStream stream)
    {
        var events = new List<TokenEvent>();
        await foreach (var e in stream) events.Add(e);
        return events;
    }

    /// <summary>Tokens and their logprobs, to compare runs exactly.</summary>
    private static (int Token, float Logprob)[] Trace(List<TokenEvent> events) => [.. events.Where(e => e.Token >= 0).Select(e => (e.Token, e.Logprobs!.LogProb))];

    [Fact]
    public void TierBlockSizes_ABlockOfF32HoldsTwiceTheF16AndNearlyFourTimesTheQ8_0Tokens()
    {
        var full = new KvPrecision(KvType.F32, KvType.F32);
        Assert.Equal([16], PagedKvStorage.TierBlockSizes(_model.Config, 16, full, null));
        Assert.Equal([16, 32], PagedKvStorage.TierBlockSizes(_model.Config, 16, full, new(KvType.F16, KvType.F16)));
        Assert.Equal([16, 60], PagedKvStorage.TierBlockSizes(_model.Config, 16, full, Q8));             // 16·256 / 68
        Assert.Equal([16, 30], PagedKvStorage.TierBlockSizes(_model.Config, 16, new(KvType.F16, KvType.F16), Q8)); // 16·128 / 68
        Assert.Equal([16, 32], PagedKvStorage.TierBlockSizes(_model.Config, 16, full, new(KvType.Q8_0, KvType.F16))); // the values bound it
    }

    [Fact]
    public void Storage_TwoTiersInOnePool_EachSequenceComputesWhatItsOwnTypeAlone()
    {
        int vocab = _model.Config.VocabSize, prompt = 37, steps = 6;
        var tokens = Enumerable.Range(0, prompt + steps).Select(i => (i * 7 + 3) % TinyModel.Vocab).ToArray();
        // 8 blocks of 16 F32 tokens, or 60 Q8_0 ones: sequence 0 (F32) in blocks 5, 2, 7 and sequence 1 (Q8_0) in block 0 of the same pool.
        using var mixed = new PagedKvStorage(_model.Config, 8, 16, KvType.F32, KvType.F32, Q8);
        mixed.Bind(0, [5, 2, 7], tier: 0);
        mixed.Bind(1, [0], tier: 1);
        Assert.Equal(KvType.F32, mixed.KeyTypeOf(0));
        Assert.Equal(KvType.Q8_0, mixed.ValueTypeOf(1));
        var f32 = new ContiguousKvCache(_model.Config, 64);
        var q8 = new ContiguousKvCache(_model.Config, 64, KvType.Q8_0, KvType.Q8_0);

        // Both prompts in one batch, then decode steps of both together; each reference runs its sequence alone.
        var logits = new float[2 * vocab];
        var batch = new ForwardBatch();
        for (int s = 0; s < 2; s++)
            for (int p = 0; p < prompt; p++) batch.Add(tokens[p], p, s, p == prompt - 1);
        _model.Forward(batch, mixed, logits);
        var mixedRows = new List<float[]> { logits[..vocab], logits[vocab..] };
        for (int p = prompt; p < tokens.Length; p++)
        {
            var step = new ForwardBatch();
            step.Add(tokens[p], p, 0, true);
            step.Add(tokens[p], p, 1, true);
            _model.Forward(step, mixed, logits);
            mixedRows.Add(logits[..vocab]);
            mixedRows.Add(logits[vocab..]);
        }

        List<float[]> Alone(IKvCache cache)
        {
            var rows = new List<float[]>();
            var one = new float[vocab];
            var b = new ForwardBatch();
            for (int p = 0; p < prompt; p++) b.Add(tokens[p], p, 0, p == prompt - 1);
            _model.Forward(b, cache, one);
            rows.Add([.. one]);
            for (int p = prompt; p < tokens.Length; p++)
            {
                var step = new ForwardBatch();
                step.Add(tokens[p], p, 0, true);
                _model.Forward(step, cache, one);
                rows.Add([.. one]);
            }
            return rows;
        }

        var full = Alone(f32);
        var reduced = Alone(q8);
        for (int i = 0; i <= steps; i++)
        {
            Assert.Equal(full[i], mixedRows[2 * i]);
            Assert.Equal(reduced[i], mixedRows[2 * i + 1]);
        }
        Assert.NotEqual(full[steps], reduced[steps]); // the tiers did differ
    }

    [Fact]
    public async Task Engine_FastAndFullRequestsTogether_EachMatchesAnEngineOfItsPrecision()
    {
        await using var adaptive = Start(KvType.F32, new AdaptiveOptions { Reduced = Q8 });
        await using var f32 = Start(KvType.F32);
        await using var q8 = Start(KvType.Q8_0);
        var fast = Request(1, quality: KvQuality.Fast);
        var full = Request(2, quality: KvQuality.Full);

        var fastStream = adaptive.Submit(fast);
        var fullStream = adaptive.Submit(full);
        var (fastEvents, fullEvents) = (await Collect(fastStream).WaitAsync(HangTimeout), await Collect(fullStream).WaitAsync(HangTimeout));

        Assert.Equal("q8_0", fastStream.KvPrecision);
        Assert.Equal("f32", fullStream.KvPrecision);
        Assert.Equal("q8_0", fastEvents[^1].Usage!.KvPrecision);
        Assert.Equal("f32", fullEvents[^1].Usage!.KvPrecision);
        Assert.Equal(Trace(await Collect(q8.Submit(fast with { Quality = KvQuality.Auto })).WaitAsync(HangTimeout)), Trace(fastEvents));
        Assert.Equal(Trace(await Collect(f32.Submit(full)).WaitAsync(HangTimeout)), Trace(fullEvents));
        Assert.Equal(0, adaptive.KvBlocks.Used);
        Assert.Equal(0, adaptive.HeldAt(0) + adaptive.HeldAt(1));
    }

    [Fact]
    public async Task Engine_UnderKvPressure_NewRequestsAreReduced_FullAgainOnceIdle()
    {
        // 512 tokens = 32 F32 blocks. A's 40-token prompt takes 3 (9 %); the threshold is 5 %, the way out 2 %.
        var options = new AdaptiveOptions { Reduced = Q8, EnterKvUsage = 0.05, ExitKvUsage = 0.02, EnterWaiting = 0 };
        await using var engine = Start(KvType.F32, options);
        var inStep = new SemaphoreSlim(0);
        var resume = new SemaphoreSlim(0);
        int steps = 0;
        engine.BeforeStep = _ =>
        {
            if (++steps != 3) return;
            inStep.Release(); // A is running and holds its blocks; the test queues B, C and D before this step ends
            resume.Wait(HangTimeout);
        };
        Assert.False(engine.UnderPressure);
        var a = engine.Submit(Request(1, promptLength: 40, maxTokens: 10));
        var aEvents = Collect(a);
        Assert.True(await inStep.WaitAsync(HangTimeout));
        Assert.True(engine.UnderPressure);
        var b = engine.Submit(Request(2));
        var c = engine.Submit(Request(3, quality: KvQuality.Full));
        resume.Release(); // B and C are queued after this step, as the pressure after it says
        await b.Accepted.WaitAsync(HangTimeout);
        await c.Accepted.WaitAsync(HangTimeout);
        Assert.Equal("f32", a.KvPrecision);
        Assert.Equal("q8_0", b.KvPrecision); // admitted under pressure
        Assert.Equal("f32", c.KvPrecision);  // asked for full precision
        Assert.Equal("q8_0", (await Collect(b).WaitAsync(HangTimeout))[^1].Usage!.KvPrecision);
        await Collect(c).WaitAsync(HangTimeout);
        await aEvents.WaitAsync(HangTimeout);

        var d = engine.Submit(Request(4));
        Assert.Equal("f32", (await Collect(d).WaitAsync(HangTimeout))[^1].Usage!.KvPrecision); // the pressure ended with the work
        Assert.False(engine.UnderPressure);
    }

    [Fact]
    public async Task Engine_FastWithNgramSpeculation_RollbackInTheNarrowTier_SameGreedyTokens()
    {
        var ngram = new SpeculationOptions { Method = SpeculationMethod.Ngram, MaxDraftTokens = 5, SaturationRows = 64, MeasuredCost = false };
        await using var spec = Start(KvType.F32, new AdaptiveOptions { Reduced = Q8 }, speculation: ngram);
        await using var q8 = Start(KvType.Q8_0);
        // A prompt that repeats itself, so the n-gram proposer drafts; 60-token Q8_0 blocks, so drafts cross no block edge here
        // and rolled-back rows are overwritten in place.
        var request = new GenerationRequest
        {
            PromptTokens = [.. Enumerable.Range(0, 24).Select(i => i % 6 + 1)],
            MaxTokens = 30,
            IgnoreEndOfGeneration = true,
        };
        var fast = await Collect(spec.Submit(request with { Quality = KvQuality.Fast })).WaitAsync(HangTimeout);
        var plain = await Collect(q8.Submit(request)).WaitAsync(HangTimeout);
        Assert.Equal("q8_0", fast[^1].Usage!.KvPrecision);
        Assert.Equal(plain.Select(e => e.Token), fast.Select(e => e.Token));
        var (drafted, accepted) = spec.SpeculationCounts;
        Assert.True(drafted > accepted, $"{drafted} drafted, {accepted} accepted: nothing was rolled back, so rollback was not tested");
    }

    [Fact]
    public async Task Engine_FastWithoutAdaptive_RefusedNamingTheFix()
    {
        await using var engine = Start(KvType.F32);
        var e = Assert.Throws<InvalidParameterException>(() => engine.Submit(Request(1, quality: KvQuality.Fast)));
        Assert.Equal("quality", e.Parameter);
        Assert.Contains("--adaptive", e.Message);
        var full = await Collect(engine.Submit(Request(1, quality: KvQuality.Full))).WaitAsync(HangTimeout);
        Assert.Equal("f32", full[^1].Usage!.KvPrecision);
    }

    [Theory]
    [InlineData(KvType.F32, KvType.F32, "narrower")]
    [InlineData(KvType.F16, KvType.F16, "narrower")]  // F16 → F16 is no reduction
    [InlineData(KvType.Q8_0, KvType.F16, "narrower")] // wider than Q8_0
    public void Options_AReducedPrecisionNoNarrower_Refused(KvType full, KvType reduced, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Start(full, new AdaptiveOptions { Reduced = new(reduced, reduced) }));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Options_ThresholdsOutOfOrder_Refused()
    {
        Assert.Contains("--adaptive-kv-low", Assert.Throws<ArgumentException>(() => Start(KvType.F32, new AdaptiveOptions { EnterKvUsage = 0.5, ExitKvUsage = 0.6 })).Message);
        Assert.Contains("--adaptive-kv-high", Assert.Throws<ArgumentException>(() => Start(KvType.F32, new AdaptiveOptions { EnterKvUsage = 1.5 })).Message);
        Assert.Contains("--adaptive-queue", Assert.Throws<ArgumentException>(() => Start(KvType.F32, new AdaptiveOptions { EnterWaiting = -1 })).Message);
    }
}
