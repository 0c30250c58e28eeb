using Wafer.Models.Architectures;
using Wafer.Models.Gguf;

namespace Wafer.Models.Tests.Architectures;

/// <summary>How gemma2, gemma3 and phi3 metadata become a <see cref="ModelConfig"/>, as llama.cpp v0.5.0 reads it
/// (src/models/gemma2.cpp, gemma3.cpp, phi3.cpp): the defaults, both forms of the sliding-window pattern, the per-layer rope,
/// and what is refused.</summary>
public sealed class ModelFamilyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-family-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ModelConfig Config(string architecture, int layers = 4, params (string Key, GgufValueType Type, object Value)[] metadata)
    {
        string path = TinyModel.Write(_dir, architecture, layers: layers, metadata: metadata, name: $"{architecture}-{Guid.NewGuid():N}.gguf");
        using var file = GgufFile.Open(path);
        return ModelConfig.FromGguf(file);
    }

    [Fact]
    public void Gemma2_WithoutItsOptionalKeys_TakesLlamaCppsDefaults()
    {
        var c = Config("gemma2");
        Assert.Equal(4096, c.SlidingWindow);
        Assert.Equal([true, false, true, false], c.SlidingLayers);
        Assert.Equal(50.0f, c.AttentionSoftCap);
        Assert.Equal(30.0f, c.FinalSoftCap);
        Assert.Equal(FeedForwardActivation.GeGlu, c.Activation);
        Assert.Equal(MathF.Sqrt(TinyModel.Embedding), c.EmbeddingScale);
        Assert.Equal(1.0f / MathF.Sqrt(c.HeadDim), c.AttentionScale);
        Assert.True(c.RopeNeox);
        Assert.False(c.HasQkNorm);
        Assert.Equal(c.RopeFreqBase, c.RopeFreqBaseOf(0));
    }

    [Fact]
    public void Gemma3_WindowOnlyWhenGiven_FiveOfSixLayersSlide_WithTheirOwnRope()
    {
        var none = Config("gemma3");
        Assert.Equal(0, none.SlidingWindow);
        Assert.False(none.IsSliding(0));
        Assert.Equal(0.0f, none.FinalSoftCap);
        Assert.True(none.HasQkNorm);

        var c = Config("gemma3", layers: 7, metadata:
        [
            ("attention.sliding_window", GgufValueType.UInt32, 512u), ("rope.freq_base", GgufValueType.Float32, 1e6f),
            ("rope.scaling.type", GgufValueType.String, "linear"), ("rope.scaling.factor", GgufValueType.Float32, 8.0f),
        ]);
        Assert.Equal([true, true, true, true, true, false, true], c.SlidingLayers);
        Assert.Equal(512, c.WindowOf(0));
        Assert.Equal(0, c.WindowOf(5));
        Assert.Equal((10000.0f, 1.0f), (c.RopeFreqBaseOf(0), c.RopeFreqScaleOf(0)));
        Assert.Equal((1e6f, 0.125f), (c.RopeFreqBaseOf(5), c.RopeFreqScaleOf(5)));
        Assert.Equal(0.0f, c.AttentionSoftCap);

        var based = Config("gemma3", metadata: [("attention.sliding_window", GgufValueType.UInt32, 512u), ("rope.freq_base_swa", GgufValueType.Float32, 5000.0f)]);
        Assert.Equal(5000.0f, based.RopeFreqBaseOf(0));
    }

    [Fact]
    public void SlidingWindowPattern_AsAPeriodOrAsOneFlagPerLayer()
    {
        var period = Config("gemma2", metadata: [("attention.sliding_window_pattern", GgufValueType.UInt32, 3u)]);
        Assert.Equal([true, true, false, true], period.SlidingLayers);
        var flags = Config("gemma2", metadata: [("attention.sliding_window_pattern", GgufValueType.Array, new[] { false, true, true, false })]);
        Assert.Equal([false, true, true, false], flags.SlidingLayers);
        var all = Config("gemma2", metadata: [("attention.sliding_window_pattern", GgufValueType.UInt32, 0u)]);
        Assert.All(all.SlidingLayers, Assert.True);

        var e = Assert.Throws<GgufFormatException>(() => Config("gemma2", metadata: [("attention.sliding_window_pattern", GgufValueType.Array, new[] { true, false })]));
        Assert.Contains("'gemma2.attention.sliding_window_pattern' with 2 entries for 4 layers", e.Message);
    }

    [Fact]
    public void Phi3_SlidingWindowInTheFile_IsNotApplied_AsInLlamaCpp()
    {
        var c = Config("phi3", metadata: [("attention.sliding_window", GgufValueType.UInt32, 2047u)]);
        Assert.Equal(0, c.SlidingWindow);
        Assert.Equal(FeedForwardActivation.SwiGlu, c.Activation);
        Assert.True(c.RopeNeox);
    }

    [Fact]
    public void Phi3_LongRopeFactors_RefusedNamingThem()
    {
        string path = TinyModel.Write(_dir, "phi3", name: "phi3-long.gguf");
        // Append rope_factors_long.weight by rewriting the file with one more tensor.
        using (var input = GgufFile.Open(path))
        {
            var writer = TinyModel.CopyOf(input);
            writer.AddTensor("rope_factors_long.weight", Kernels.GgmlType.F32, [4], new byte[16]);
            writer.Write(Path.Combine(_dir, "phi3-long-factors.gguf"));
        }
        using var file = GgufFile.Open(Path.Combine(_dir, "phi3-long-factors.gguf"));
        var ex = Assert.Throws<NotSupportedException>(() => ModelConfig.FromGguf(file));
        Assert.Equal("model file 'phi3-long-factors.gguf' is a long-context Phi-3 (rope_factors_long/short: LongRoPE), which Wafer does not support yet; the 4k-context Phi-3 models load", ex.Message);
    }
}
