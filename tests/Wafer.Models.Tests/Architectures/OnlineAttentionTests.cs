using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Inference;

namespace Wafer.Models.Tests.Architectures;

/// <summary>Attention past <see cref="CausalAttention.Chunk"/> positions takes the online softmax: a prompt of 400 tokens in
/// one batch (tiles of 16 tokens) and the same tokens one at a time (one item per head) give the same bits at every position,
/// for each KV type; the short path is untouched below the chunk. (Agreement with llama.cpp past the chunk:
/// <c>PerplexityTests</c>' 512-token chunks.)</summary>
public sealed class OnlineAttentionTests
{
    [Theory]
    [InlineData(KvType.F32)]
    [InlineData(KvType.F16)]
    public void Forward_400TokensBatchedOrOneByOne_SameBits(KvType kv)
    {
        using var pool = new WorkerPool(2);
        using var model = TransformerModel.Load(Repository.DefaultModel, pool);
        int vocab = model.Config.VocabSize, n = 400;
        var random = new Random(7);
        var tokens = Enumerable.Range(0, n).Select(i => i == 0 ? 1 : random.Next(3, vocab)).ToArray();

        var batched = new float[n * vocab];
        var batch = new ForwardBatch();
        for (int i = 0; i < n; i++) batch.Add(tokens[i], i, 0, true);
        model.Forward(batch, new ContiguousKvCache(model.Config, n, kv, kv), batched);

        var single = new float[vocab];
        var cache = new ContiguousKvCache(model.Config, n, kv, kv);
        for (int i = 0; i < n; i++)
        {
            batch.Clear();
            batch.Add(tokens[i], i, 0, true);
            model.Forward(batch, cache, single);
            Assert.True(single.AsSpan().SequenceEqual(batched.AsSpan(i * vocab, vocab)), $"position {i} differs");
        }
    }

    /// <summary>Split-K: one sequence decoding at depth 1000 on 16 threads has fewer (token, KV head) items than threads, so each
    /// item's four chunks are shared out among parts and merged; the logits agree with one thread's unsplit pass to float
    /// rounding, for each KV type. (Without the merge, the first logit is off by 0.9.)</summary>
    [Theory]
    [InlineData(KvType.F32)]
    [InlineData(KvType.F16)]
    public void Decode_SplitAcrossThreads_AgreesWithOneThread(KvType kv)
    {
        using var one = new WorkerPool(1);
        using var many = new WorkerPool(16);
        using var whole = TransformerModel.Load(Repository.DefaultModel, one);
        using var split = TransformerModel.Load(Repository.DefaultModel, many);
        int vocab = whole.Config.VocabSize, n = 1000;
        var random = new Random(5);
        var tokens = Enumerable.Range(0, n + 1).Select(i => i == 0 ? 1 : random.Next(3, vocab)).ToArray();
        var cache = new ContiguousKvCache(whole.Config, n + 1, kv, kv);
        var batch = new ForwardBatch();
        for (int i = 0; i < n; i++) batch.Add(tokens[i], i, 0, i == n - 1);
        whole.Forward(batch, cache, new float[vocab]);

        batch.Clear();
        batch.Add(tokens[n], n, 0, true);
        var expected = new float[vocab];
        whole.Forward(batch, cache, expected);
        Assert.Equal(1, whole.AttentionParts);
        var actual = new float[vocab];
        split.Forward(batch, cache, actual);
        Assert.True(split.AttentionParts > 1, $"{split.AttentionParts} parts");
        for (int v = 0; v < vocab; v++) Assert.True(MathF.Abs(expected[v] - actual[v]) <= 1e-4f, $"token {v}: {expected[v]} unsplit, {actual[v]} split");
    }
}
