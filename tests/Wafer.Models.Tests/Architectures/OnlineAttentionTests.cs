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
}
