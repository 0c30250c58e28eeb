using Wafer.Models.Architectures;
using Wafer.Models.Gguf;
using Wafer.Models.Tests.Architectures;

namespace Wafer.Models.Tests.Evaluation;

/// <summary>Rope scaling as the GGUF asks for it (linear, YaRN with its ramp and magnitude, a rope attn_factor), teacher-forced
/// against llama.cpp v0.5.0. The models are fixture models with rope-scaling metadata added; the test writes them from the
/// fixtures, checks each is byte for byte the file llama.cpp ran on (its SHA-256 in the golden file), and compares.</summary>
/// <remarks>The golden files beside this test (Golden/RopeScaling/*.json) were made by <c>../shared/tools/make_golden.py</c>
/// on the models this test writes when <c>WAFER_WRITE_ROPE_MODELS=DIR</c> is set (Golden/RopeScaling/README.md).</remarks>
public sealed class RopeScalingFidelityTests(ITestOutputHelper output)
{
    /// <summary>Each scaled model: its name, the fixture it is made from, and the metadata added (the architecture's prefix added).</summary>
    private static readonly (string Name, string Source, (string Key, GgufValueType Type, object Value)[] Keys)[] Models =
    [
        ("stories260K-yarn4", "models/stories260K.gguf",
            [("rope.scaling.type", GgufValueType.String, "yarn"), ("rope.scaling.factor", GgufValueType.Float32, 4.0f), ("rope.scaling.original_context_length", GgufValueType.UInt32, 128u)]),
        ("stories260K-linear2", "models/stories260K.gguf",
            [("rope.scaling.type", GgufValueType.String, "linear"), ("rope.scaling.factor", GgufValueType.Float32, 2.0f)]),
        ("synth-qwen2-2L-128-yarn4-Q8_0", "models/synth-qwen2-2L-128-Q8_0.gguf",
            [("rope.scaling.type", GgufValueType.String, "yarn"), ("rope.scaling.factor", GgufValueType.Float32, 4.0f), ("rope.scaling.original_context_length", GgufValueType.UInt32, 512u),
             ("rope.scaling.attn_factor", GgufValueType.Float32, 0.9f)]),
    ];

    public static TheoryData<string> Names() => [.. Models.Select(m => m.Name)];

    /// <summary>Writes <paramref name="name"/>'s model into <paramref name="folder"/>: the source's metadata and tensors in order, the keys added.</summary>
    internal static string Write(string name, string folder)
    {
        var (_, source, keys) = Models.Single(m => m.Name == name);
        return Write(name, source, keys, folder);
    }

    private static string Write(string name, string source, (string Key, GgufValueType Type, object Value)[] keys, string folder)
    {
        using var input = GgufFile.Open(Fixtures.Path(source));
        string arch = input.Metadata.GetStringOrDefault(GgufNames.Architecture)!;
        var writer = TinyModel.CopyOf(input);
        foreach (var (key, type, value) in keys) writer.Metadata.Set($"{arch}.{key}", type, value);
        string path = Path.Combine(folder, $"{name}.gguf");
        writer.Write(path);
        return path;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Measure_RopeScaledModel_WithinLlamaCppNoise(string name) =>
        WrittenModelFidelity.Check(output, "WAFER_WRITE_ROPE_MODELS", "RopeScaling", name, Write,
            model => Assert.NotEqual(1.0f, model.Config.RopeFreqScale));

    [Fact]
    public void Load_LongRopeScaling_RefusedNamingTheTypeAndWhatIsSupported()
    {
        string folder = Directory.CreateTempSubdirectory("wafer-rope-").FullName;
        try
        {
            string path = Write("stories260K-longrope", "models/stories260K.gguf",
                [("rope.scaling.type", GgufValueType.String, "longrope"), ("rope.scaling.factor", GgufValueType.Float32, 4.0f)], folder);
            using var file = GgufFile.Open(path);
            var e = Assert.Throws<NotSupportedException>(() => ModelConfig.FromGguf(file));
            Assert.Equal("model file 'stories260K-longrope.gguf' uses rope scaling 'longrope', which Wafer does not support yet; supported: none, linear, yarn", e.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
