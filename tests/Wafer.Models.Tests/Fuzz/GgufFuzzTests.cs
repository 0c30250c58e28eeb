using System.Text.Json;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.ChatTemplates;
using Wafer.Models.Gguf;
using Wafer.Models.Tokenization;
using Wafer.Tests.Fuzz;

namespace Wafer.Models.Tests.Fuzz;

/// <summary>Mutated real GGUF files (truncated, bit-flipped, spliced, with lying counts, lengths and offsets) either open —
/// and then every tensor lies inside the file, and the tokenizer, chat template and model built from them work — or fail
/// with one clear error (<see cref="GgufFormatException"/>, <see cref="InvalidDataException"/>, <see cref="NotSupportedException"/>,
/// <see cref="TemplateException"/>), never an out-of-range read, an overflow or an allocation a count asked for.</summary>
public sealed class GgufFuzzTests : IDisposable
{
    private static readonly WorkerPool Pool = new(1);
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-fuzz-gguf-").FullName;
    private int _fileIndex;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A seed file and the length of its header (everything before the tensor data), where mutations mostly land.</summary>
    private sealed record Seed(byte[] Bytes, int HeaderBytes);

    private static Seed Load(string path)
    {
        using var file = GgufFile.Open(path);
        return new Seed(File.ReadAllBytes(path), (int)file.DataOffset);
    }

    internal static bool IsBadModelFile(Exception e) =>
        e is GgufFormatException or InvalidDataException or NotSupportedException or TemplateException or UntokenizableTextException;

    private static byte[] Generate(Random random, IReadOnlyList<Seed> seeds)
    {
        var seed = seeds[random.Next(seeds.Count)];
        var headers = seeds.Select(s => s.Bytes[..s.HeaderBytes]).ToList();
        if (random.Next(10) == 0) return Mutator.Mutate(seed.Bytes, random, headers); // anywhere, tensor data included
        byte[] header = Mutator.Mutate(seed.Bytes[..seed.HeaderBytes], random, headers);
        var data = seed.Bytes.AsSpan(seed.HeaderBytes);
        if (random.Next(8) == 0) data = data[..random.Next(data.Length)];
        return [.. header, .. data];
    }

    private void Execute(byte[] input, bool loadModel)
    {
        string path = Path.Combine(_dir, $"f{_fileIndex++ % 4}.gguf");
        File.WriteAllBytes(path, input);
        using (var file = GgufFile.Open(path))
        {
            foreach (var t in file.Tensors)
            {
                // The oracle for "never an out-of-range read": each tensor's bytes lie inside the file.
                long end = file.DataOffset + t.Offset + t.ByteCount;
                if (t.Offset < 0 || t.ByteCount < 0 || end > file.FileBytes)
                    throw new InvalidOperationException($"tensor '{t.Name}' spans [{file.DataOffset + t.Offset}, {end}) of a {file.FileBytes}-byte file");
                if (t.ByteCount > 0 && t.ByteCount <= int.MaxValue)
                {
                    var bytes = file.Data(t);
                    _ = bytes[0] ^ bytes[^1];
                }
            }
            var tokenizer = Tokenizer.FromMetadata(file.Metadata, "fuzz.gguf");
            var ids = tokenizer.Encode("Once upon a time, <s> Lily\n saw 🐕 ü");
            _ = tokenizer.Decode(ids);
            for (int id = 0; id < tokenizer.VocabularySize; id += 7) _ = tokenizer.TokenBytes(id);
            var template = ChatTemplateResolver.FromModel(file.Metadata, "fuzz.gguf");
            _ = template.Render(new ChatTemplateContext
            {
                Messages = JsonSerializer.SerializeToElement(new[] { new { role = "user", content = "hi" } }),
            });
        }
        if (!loadModel) return;
        using var model = TransformerModel.Load(path, Pool, repack: true);
        _ = model.Config.VocabSize;
    }

    private List<Seed> Seeds()
    {
        var seeds = new List<Seed> { Load(Repository.DefaultModel) };
        foreach (string name in new[] { "models/stories260K-Q4_0.gguf", "models/synth-llama-tok512-2L-256-Q4_K_M.gguf" })
            if (Fixtures.Missing(name) == null) seeds.Add(Load(Fixtures.Path(name)));
        return seeds;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Open_MutatedRealFiles_OpenOrFailWithOneClearError(int seed)
    {
        var seeds = Seeds();
        FuzzRunner.Run("gguf", seed, FuzzRunner.Iterations(300), r => Generate(r, seeds), input => Execute(input, loadModel: false), IsBadModelFile);
    }

    [Fact]
    public void Load_MutatedRealFiles_LoadOrFailWithOneClearError()
    {
        var seeds = Seeds();
        FuzzRunner.Run("gguf-model", 7, FuzzRunner.Iterations(200), r => Generate(r, seeds), input => Execute(input, loadModel: true), IsBadModelFile);
    }
}
