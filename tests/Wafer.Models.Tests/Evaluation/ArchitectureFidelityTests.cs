using System.Runtime.InteropServices;
using Wafer.Kernels;
using Wafer.Models.Architectures;
using Wafer.Models.Gguf;
using Wafer.Models.Quantization;
using Wafer.Models.Tests.Architectures;

namespace Wafer.Models.Tests.Evaluation;

/// <summary>gemma2, gemma3 and phi3, teacher-forced against llama.cpp v0.5.0. The models are small random-weight F32 files this
/// test writes around the tok512 tokenizer of the fixtures, with settings chosen so each difference from llama's block shows:
/// a sliding window of 24 positions (prompts and continuations run past it), soft-caps low enough to bend the scores and
/// logits, gemma3's global layers with rope base 10⁶ and linear scaling ×8 beside sliding layers with base 10⁴ and none, Phi-3's
/// fused attn_qkv and ffn_up and a sliding window in its metadata that llama.cpp does not apply.</summary>
/// <remarks>Each golden file (Golden/Architectures/*.json) records the SHA-256 of the model llama.cpp ran on; the test checks the
/// model it writes is that file before comparing. Golden/Architectures/README.md has the commands that made them.</remarks>
public sealed class ArchitectureFidelityTests(ITestOutputHelper output)
{
    private const string Tokenizer = "models/synth-llama-tok512-2L-256-F16.gguf";

    /// <summary>One written model: its name (and file stem), architecture, layer count and metadata beyond the common keys.</summary>
    private sealed record Spec(string Name, string Architecture, int Layers, int Seed, (string Key, GgufValueType Type, object Value)[] Keys);

    private static readonly Spec[] Specs =
    [
        new("synth-gemma2-4L-128", "gemma2", 4, 21,
        [
            ("attention.sliding_window", GgufValueType.UInt32, 24u),
            ("attn_logit_softcapping", GgufValueType.Float32, 1.5f),
            ("final_logit_softcapping", GgufValueType.Float32, 5.0f),
        ]),
        new("synth-gemma3-6L-128", "gemma3", 6, 22,
        [
            ("attention.sliding_window", GgufValueType.UInt32, 24u),
            ("rope.freq_base", GgufValueType.Float32, 1000000.0f),
            ("rope.scaling.type", GgufValueType.String, "linear"),
            ("rope.scaling.factor", GgufValueType.Float32, 8.0f),
        ]),
        new("synth-phi3-2L-128", "phi3", 2, 23,
        [
            ("attention.sliding_window", GgufValueType.UInt32, 16u),
        ]),
    ];

    private const int Embedding = 128, Heads = 4, KvHeads = 2, HeadDim = 32, FeedForward = 256;

    /// <summary>Each model as written (F32), and quantized to Q8_0 by <see cref="ModelQuantizer"/> (llama.cpp ran on that file).</summary>
    public static TheoryData<string> Names() => [.. Specs.SelectMany(s => new[] { s.Name, $"{s.Name}-Q8_0" })];

    /// <summary>Writes the named model into <paramref name="folder"/> and returns its path.</summary>
    internal static string Write(string name, string folder)
    {
        if (name.EndsWith("-Q8_0", StringComparison.Ordinal))
        {
            string source = Write(name[..^"-Q8_0".Length], Directory.CreateTempSubdirectory("wafer-arch-f32-").FullName);
            string quantized = Path.Combine(folder, $"{name}.gguf");
            ModelQuantizer.Quantize(source, quantized, QuantizationScheme.Parse("q8_0"));
            Directory.Delete(Path.GetDirectoryName(source)!, recursive: true);
            return quantized;
        }
        var spec = Specs.Single(s => s.Name == name);
        string a = spec.Architecture;
        using var vocab = GgufFile.Open(Fixtures.Path(Tokenizer));
        int vocabSize = vocab.Metadata.GetArrayOrDefault<string>(GgufNames.TokenizerTokens)!.Length;
        var random = new Random(spec.Seed);
        var w = new GgufWriter();
        w.Metadata.Set("general.architecture", GgufValueType.String, a);
        // llama.cpp changes special-token attributes for a general.name containing "phi3" and then needs Phi-3's own tokens,
        // which the tok512 vocabulary lacks; the name is the only thing that differs from the file's stem.
        w.Metadata.Set("general.name", GgufValueType.String, spec.Name.Replace("phi3", "fused-qkv", StringComparison.Ordinal));
        w.Metadata.Set("general.description", GgufValueType.String, $"SYNTHETIC random weights (seed {spec.Seed}); tokenizer copied from {Path.GetFileName(Tokenizer)}");
        w.Metadata.Set($"{a}.context_length", GgufValueType.UInt32, 2048u);
        w.Metadata.Set($"{a}.embedding_length", GgufValueType.UInt32, (uint)Embedding);
        w.Metadata.Set($"{a}.feed_forward_length", GgufValueType.UInt32, (uint)FeedForward);
        w.Metadata.Set($"{a}.block_count", GgufValueType.UInt32, (uint)spec.Layers);
        w.Metadata.Set($"{a}.attention.head_count", GgufValueType.UInt32, (uint)Heads);
        w.Metadata.Set($"{a}.attention.head_count_kv", GgufValueType.UInt32, (uint)KvHeads);
        w.Metadata.Set($"{a}.attention.key_length", GgufValueType.UInt32, (uint)HeadDim);
        w.Metadata.Set($"{a}.attention.value_length", GgufValueType.UInt32, (uint)HeadDim);
        w.Metadata.Set($"{a}.attention.layer_norm_rms_epsilon", GgufValueType.Float32, 1e-6f);
        w.Metadata.Set($"{a}.rope.dimension_count", GgufValueType.UInt32, (uint)HeadDim);
        if (!spec.Keys.Any(k => k.Key == "rope.freq_base")) w.Metadata.Set($"{a}.rope.freq_base", GgufValueType.Float32, 10000.0f);
        foreach (var (key, type, value) in spec.Keys) w.Metadata.Set($"{a}.{key}", type, value);
        foreach (var e in vocab.Metadata.Entries.Where(e => e.Key.StartsWith("tokenizer.", StringComparison.Ordinal)))
            w.Metadata.Set(e.Key, e.Type, e.Value);
        w.Metadata.Set("general.file_type", GgufValueType.UInt32, 0u);

        int q = Heads * HeadDim, kv = KvHeads * HeadDim;
        void Matrix(string tensor, int columns, int rows, float std) => w.AddTensor(tensor, GgmlType.F32, [columns, rows], Uniform(random, columns * rows, std, 0));
        void Norm(string tensor, int length) => w.AddTensor(tensor, GgmlType.F32, [length], Uniform(random, length, 0.1f, 1));
        Matrix("token_embd.weight", Embedding, vocabSize, 0.25f);
        Norm("output_norm.weight", Embedding);
        if (a == "phi3") Matrix("output.weight", Embedding, vocabSize, 0.25f);
        for (int l = 0; l < spec.Layers; l++)
            foreach (var (tensor, dimensions, role) in TinyModel.BlockTensors(a, l, Embedding, q, kv, HeadDim, FeedForward))
            {
                if (role == TinyModel.TensorRole.Matrix) Matrix(tensor, (int)dimensions[0], (int)dimensions[1], 0.08f);
                else if (role == TinyModel.TensorRole.Norm) Norm(tensor, (int)dimensions[0]);
                else throw new InvalidOperationException($"{a} has no biases: {tensor}");
            }
        string path = Path.Combine(folder, $"{spec.Name}.gguf");
        w.Write(path);
        return path;
    }

    /// <summary>Uniform values with standard deviation <paramref name="std"/> around <paramref name="offset"/>.</summary>
    private static byte[] Uniform(Random random, int count, float std, float offset)
    {
        var values = new float[count];
        double half = std * Math.Sqrt(3.0);
        for (int i = 0; i < count; i++) values[i] = (float)(offset + half * (random.NextDouble() * 2 - 1));
        return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Measure_Architecture_AgreesWithLlamaCpp(string name) =>
        WrittenModelFidelity.Check(output, "WAFER_WRITE_ARCH_MODELS", "Architectures", name, Write);
}
