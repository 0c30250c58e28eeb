using Wafer.Engine.KvCache;
using Wafer.Engine.Requests;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Inference;
using Wafer.Models.Sampling;
using Wafer.Models.Tests.Architectures;

namespace Wafer.Engine.Tests.KvCache;

/// <summary>F16 and Q8_0 KV caches: the paged storage widens exactly what the rounding contiguous cache holds (so fidelity
/// measured there is the engine's), sizes follow the type, and the prefix cache and speculative rollback work for every type.</summary>
public sealed class KvTypeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-kvtype-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A random-weight model with heads of 32 values (Q8_0 needs a multiple of 32), 2 KV heads.</summary>
    private TransformerModel Model() =>
        TransformerModel.Load(TinyModel.Write(_dir, "llama", seed: 3, embedding: 128, feedForward: 96), new WorkerPool(2));

    [Theory]
    [InlineData(KvType.F32)]
    [InlineData(KvType.F16)]
    [InlineData(KvType.Q8_0)]
    public void Forward_PagedStorage_SameLogitsAsTheRoundingContiguousCache(KvType type)
    {
        using var model = Model();
        int vocab = model.Config.VocabSize, prompt = 37;
        // Blocks of 16 tokens in a shuffled table, so runs break at block edges and rows come from scattered blocks.
        using var paged = new PagedKvStorage(model.Config, 8, 16, type, type);
        paged.Bind(0, [5, 2, 7, 0]);
        var contiguous = new ContiguousKvCache(model.Config, 64, type, type);
        var tokens = Enumerable.Range(0, prompt + 8).Select(i => (i * 7 + 3) % TinyModel.Vocab).ToArray();
        Assert.Equal(type, paged.KeyType);
        Assert.Equal(KvType.F32, contiguous.KeyType); // it stores the rounded rows as F32

        float[] Run(IKvCache cache)
        {
            var all = new List<float>();
            var batch = new ForwardBatch();
            for (int p = 0; p < prompt; p++) batch.Add(tokens[p], p, 0, p == prompt - 1);
            var logits = new float[vocab];
            model.Forward(batch, cache, logits);
            all.AddRange(logits);
            for (int p = prompt; p < tokens.Length; p++)
            {
                var step = new ForwardBatch();
                step.Add(tokens[p], p, 0, true);
                model.Forward(step, cache, logits);
                all.AddRange(logits);
            }
            return [.. all];
        }

        Assert.Equal(Run(contiguous), Run(paged));
    }

    [Fact]
    public void Rounding_MovesTheLogitsBySmallAmounts_Q8MoreThanF16()
    {
        using var model = Model();
        var tokens = Enumerable.Range(0, 40).Select(i => (i * 5 + 1) % TinyModel.Vocab).ToArray();
        int[] positions = [.. Enumerable.Range(20, 20)];
        float[] exact = Models.Evaluation.TeacherForcing.LogProbabilities(model, tokens, positions);
        double Distance(KvType type) => exact.Zip(Models.Evaluation.TeacherForcing.LogProbabilities(model, tokens, positions, type)).Max(p => Math.Abs(p.First - p.Second));
        double f16 = Distance(KvType.F16), q8 = Distance(KvType.Q8_0);
        Assert.InRange(f16, 1e-7, 0.01);
        Assert.InRange(q8, f16, 0.2);
    }

    [Fact]
    public void Sizing_ForTheSameMemory_F16HoldsTwiceTheTokens_Q8_0MoreThanThreeAndAHalfTimes()
    {
        using var model = Model();
        long Tokens(KvType type) => (long)KvCacheSizing.BlockCount(model.Config,
            new EngineOptions { KvCacheMiB = 16, KeyType = type, ValueType = type, Scheduler = new Wafer.Engine.Scheduling.SchedulerOptions { ContextLength = 64 } }, 1L << 34) * 16;
        Assert.Equal(2.0, (double)Tokens(KvType.F16) / Tokens(KvType.F32), 2);
        Assert.InRange((double)Tokens(KvType.Q8_0) / Tokens(KvType.F32), 3.5, 128.0 / 34);
        using var storage = new PagedKvStorage(model.Config, 4, 16, KvType.Q8_0, KvType.F16);
        Assert.Equal(4L * 16 * model.Config.LayerCount * (64 / 32 * 34 + 64 * 2), storage.TotalBytes);
    }

    [Fact]
    public void Q8_0_HeadsNotAMultipleOf32Wide_OneClearError()
    {
        using var model = TransformerModel.Load(TinyModel.Write(_dir, "llama"), new WorkerPool(1)); // heads of 8
        var e = Assert.Throws<ArgumentException>(() => new PagedKvStorage(model.Config, 4, 16, KvType.Q8_0, KvType.F16));
        Assert.Contains("multiple of 32", e.Message);
        Assert.Contains("8", e.Message);
        using var f16 = new PagedKvStorage(model.Config, 4, 16, KvType.F16, KvType.F16);
    }

    [Theory]
    [InlineData(KvType.F16)]
    public async Task Engine_F16Kv_PrefixCacheHitsAndSpeculativeRollback_SameGreedyTokens(KvType type)
    {
        var (model, tokenizer) = EngineFixture.Load();
        using var _ = model;
        var ngram = new Wafer.Engine.Speculation.SpeculationOptions { Method = Wafer.Engine.Speculation.SpeculationMethod.Ngram, MaxDraftTokens = 5, SaturationRows = 64, MeasuredCost = false };
        await using var plain = EngineFixture.Start(model, tokenizer, kvType: type);
        await using var spec = EngineFixture.Start(model, tokenizer, kvType: type, speculation: ngram);
        var prompt = tokenizer.Encode("Once upon a time, there was a little girl named Lily. Once upon a time, there was a little girl named Lily.", addSpecial: true, parseSpecial: false);
        var request = new GenerationRequest { PromptTokens = prompt, MaxTokens = 48, Sampling = SamplingOptions.Greedy };

        int[] first = [.. (await EngineFixture.Collect(plain, request)).Select(e => e.Token)];
        int[] again = [.. (await EngineFixture.Collect(plain, request)).Select(e => e.Token)]; // its prompt's full blocks come from the prefix cache
        int[] speculated = [.. (await EngineFixture.Collect(spec, request)).Select(e => e.Token)];

        Assert.Equal(first, again);
        Assert.True(plain.PrefixCacheStats.HitTokens >= 16, $"{plain.PrefixCacheStats.HitTokens} prompt tokens came from the prefix cache");
        Assert.Equal(first, speculated);
        var (drafted, accepted) = spec.SpeculationCounts;
        Assert.True(drafted > accepted, $"{drafted} drafted, {accepted} accepted: nothing was rolled back, so rollback was not tested");
    }
}
