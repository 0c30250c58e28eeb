using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Gguf;
using Wafer.Models.Inference;

namespace Wafer.Models.Tests.Architectures;

public sealed class TransformerModelTests : IDisposable
{
    private const float Tolerance = 1e-4f;
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-model-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly int[] Prompt = [1, 5, 9, 3, 17, 22, 8, 30];

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    [InlineData("gemma2")]
    [InlineData("gemma3")]
    [InlineData("phi3")]
    public void Forward_OneTokenAtATime_EqualsOneBatch(string architecture)
    {
        using var model = TransformerModel.Load(TinyModel.Write(_dir, architecture), new WorkerPool(2));
        int vocab = model.Config.VocabSize;

        var batch = new ForwardBatch();
        for (int p = 0; p < Prompt.Length; p++) batch.Add(Prompt[p], p, 0, true);
        var batched = new float[Prompt.Length * vocab];
        model.Forward(batch, new ContiguousKvCache(model.Config, 64), batched);

        var cache = new ContiguousKvCache(model.Config, 64);
        var single = new float[vocab];
        for (int p = 0; p < Prompt.Length; p++)
        {
            batch.Clear();
            batch.Add(Prompt[p], p, 0, true);
            model.Forward(batch, cache, single);
            for (int v = 0; v < vocab; v++) Assert.Equal(batched[p * vocab + v], single[v], Tolerance);
        }
        Assert.All(batched, x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void Forward_TwoSequencesInOneBatch_EqualsEachAlone()
    {
        using var model = TransformerModel.Load(TinyModel.Write(_dir, "llama"), new WorkerPool(2));
        int vocab = model.Config.VocabSize;
        int[] other = [2, 4, 6];

        var together = new ForwardBatch();
        for (int p = 0; p < Prompt.Length; p++) together.Add(Prompt[p], p, 0, p == Prompt.Length - 1);
        for (int p = 0; p < other.Length; p++) together.Add(other[p], p, 7, p == other.Length - 1);
        var both = new float[2 * vocab];
        model.Forward(together, new ContiguousKvCache(model.Config, 64), both);

        var alone = new ForwardBatch();
        for (int p = 0; p < other.Length; p++) alone.Add(other[p], p, 0, p == other.Length - 1);
        var single = new float[vocab];
        model.Forward(alone, new ContiguousKvCache(model.Config, 64), single);

        for (int v = 0; v < vocab; v++) Assert.Equal(single[v], both[vocab + v], Tolerance);
    }

    [Fact]
    public void Load_UnknownArchitecture_NamesItAndListsSupported()
    {
        string path = TinyModel.Write(_dir, "llama");
        var bytes = File.ReadAllBytes(path);
        // Same length as "llama": the file stays valid, only the architecture changes.
        int at = bytes.AsSpan().IndexOf("llama"u8);
        "mamba"u8.CopyTo(bytes.AsSpan(at));
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<NotSupportedException>(() => TransformerModel.Load(path, new WorkerPool(1)));
        Assert.Contains("architecture 'mamba'", e.Message);
        Assert.Contains("llama, qwen2, qwen3", e.Message);
    }

    [Fact]
    public void Load_MissingTensor_NamesIt()
    {
        string path = TinyModel.Write(_dir, "llama");
        var bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf("blk.1.ffn_up.weight"u8);
        "blk.1.ffn_UP.weight"u8.CopyTo(bytes.AsSpan(at));
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<GgufFormatException>(() => TransformerModel.Load(path, new WorkerPool(1)));
        Assert.Contains("blk.1.ffn_up.weight", e.Message);
    }

    [Fact]
    public void Load_GemmaWithoutItsPostNorm_NamesIt()
    {
        string path = TinyModel.Write(_dir, "gemma2");
        var bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf("blk.0.post_ffw_norm.weight"u8);
        "blk.0.post_ffw_NORM.weight"u8.CopyTo(bytes.AsSpan(at));
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<GgufFormatException>(() => TransformerModel.Load(path, new WorkerPool(1)));
        Assert.Contains("blk.0.post_ffw_norm.weight", e.Message);
    }
}
