using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Gguf;
using Wafer.Models.Inference;

namespace Wafer.Models.Tests.Architectures;

/// <summary>Sliding-window layers (gemma2's every other layer here) over 400 positions: a prompt in one batch (tiles of 16
/// tokens, the online softmax where a tile's rows pass <see cref="CausalAttention.Chunk"/>) agrees with the same tokens one at
/// a time (per token, the one-pass softmax where its window fits in a chunk), for windows that take each path; a window longer
/// than the sequence changes nothing; and a window really limits what a token sees. (Agreement with llama.cpp:
/// <c>ArchitectureFidelityTests</c>, window 24.)</summary>
public sealed class SlidingWindowAttentionTests : IDisposable
{
    private const int Positions = 400;
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-swa-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(int window, string name) => TinyModel.Write(_dir, "gemma2", seed: 3, context: 1024, name: name,
        metadata: [("attention.sliding_window", GgufValueType.UInt32, (uint)window), ("attn_logit_softcapping", GgufValueType.Float32, 2.0f)]);

    private static float[] Batched(TransformerModel model, int[] tokens, KvType kv)
    {
        var logits = new float[tokens.Length * model.Config.VocabSize];
        var batch = new ForwardBatch();
        for (int i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, 0, true);
        model.Forward(batch, new ContiguousKvCache(model.Config, tokens.Length, kv, kv), logits);
        return logits;
    }

    private static int[] Tokens(int vocab)
    {
        var random = new Random(11);
        return [.. Enumerable.Range(0, Positions).Select(_ => random.Next(vocab))];
    }

    // 20: every path short; 250: per token one pass (≤ 256 rows), tiles online (up to 265 rows); 300: both online.
    [Theory]
    [InlineData(20, KvType.F32)]
    [InlineData(250, KvType.F32)]
    [InlineData(300, KvType.F32)]
    [InlineData(250, KvType.F16)]
    public void Forward_BatchedOrOneByOne_Agree(int window, KvType kv)
    {
        using var pool = new WorkerPool(2);
        using var model = TransformerModel.Load(Write(window, $"swa-{window}.gguf"), pool);
        Assert.Equal(window, model.Config.WindowOf(0));
        Assert.Equal(0, model.Config.WindowOf(1));
        int vocab = model.Config.VocabSize;
        var tokens = Tokens(vocab);
        var batched = Batched(model, tokens, kv);

        var cache = new ContiguousKvCache(model.Config, Positions, kv, kv);
        var single = new float[vocab];
        var batch = new ForwardBatch();
        var worst = new float[Positions];
        for (int i = 0; i < Positions; i++)
        {
            batch.Clear();
            batch.Add(tokens[i], i, 0, true);
            model.Forward(batch, cache, single);
            for (int v = 0; v < vocab; v++) worst[i] = MathF.Max(worst[i], MathF.Abs(single[v] - batched[i * vocab + v]));
        }
        // The two orders of summation differ by float rounding (~1e-6); where such a difference moves a GeGLU input across a
        // half-precision rounding step (ggml's GELU table), that position's logits move by up to ~1e-3 — llama.cpp's too.
        // A window applied wrongly moves every position past it by far more than either.
        Array.Sort(worst);
        Assert.True(worst[^1] <= 2e-3f, $"largest difference {worst[^1]}");
        Assert.True(worst[Positions / 2] <= 1e-5f, $"median difference {worst[Positions / 2]}");
    }

    [Fact]
    public void Forward_WindowLongerThanTheSequence_SameBitsAsAWindowOfThatLength()
    {
        using var pool = new WorkerPool(2);
        using var wide = TransformerModel.Load(Write(Positions, "swa-400.gguf"), pool);
        using var wider = TransformerModel.Load(Write(1000, "swa-1000.gguf"), pool);
        var tokens = Tokens(wide.Config.VocabSize);
        Assert.Equal(Batched(wide, tokens, KvType.F32), Batched(wider, tokens, KvType.F32));
    }

    [Fact]
    public void Forward_Window_HidesPositionsBeforeIt()
    {
        // With a window of 8, the sliding layers of position 30 see positions 23..30 only, but the global layers see everything,
        // so changing token 5 moves position 30's logits; a window of 400 (the whole sequence) must move them too, and by a
        // different amount: the window is applied.
        using var pool = new WorkerPool(2);
        using var narrow = TransformerModel.Load(Write(8, "swa-8.gguf"), pool);
        using var full = TransformerModel.Load(Write(Positions, "swa-full.gguf"), pool);
        var tokens = Tokens(narrow.Config.VocabSize)[..31];
        var changed = (int[])tokens.Clone();
        changed[5] = (changed[5] + 1) % narrow.Config.VocabSize;
        int vocab = narrow.Config.VocabSize;
        float[] Last(TransformerModel m, int[] t) => Batched(m, t, KvType.F32)[(30 * vocab)..];
        Assert.NotEqual(Last(narrow, tokens), Last(full, tokens));
        Assert.NotEqual(Last(narrow, tokens), Last(narrow, changed));
    }
}
