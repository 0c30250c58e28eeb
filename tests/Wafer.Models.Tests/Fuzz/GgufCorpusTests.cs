using Wafer.Models.Gguf;

namespace Wafer.Models.Tests.Fuzz;

/// <summary>Replays the GGUF files AFL found crashes with (tests/Wafer.Models.Tests/Fuzz/corpus/gguf/*.bin, committed): each
/// must fail with one <see cref="GgufFormatException"/>, or open with every tensor inside the file.</summary>
public sealed class GgufCorpusTests
{
    public static TheoryData<string> Files() =>
        [.. Directory.GetFiles(Path.Combine(Repository.Root, "tests", "Wafer.Models.Tests", "Fuzz", "corpus", "gguf"), "*.bin").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Files))]
    public void Open_CrashFoundByAfl_OneClearErrorOrTensorsInsideTheFile(string name)
    {
        string path = Path.Combine(Repository.Root, "tests", "Wafer.Models.Tests", "Fuzz", "corpus", "gguf", name);
        try
        {
            using var file = GgufFile.Open(path);
            foreach (var t in file.Tensors)
                Assert.InRange(t.ByteCount, 0, file.FileBytes - file.DataOffset - t.Offset);
        }
        catch (GgufFormatException e)
        {
            Assert.Contains(name, e.Message);
        }
    }

    [Fact]
    public void Open_TensorWhoseByteCountOverflows_NamesTheShape()
    {
        string path = Path.Combine(Repository.Root, "tests", "Wafer.Models.Tests", "Fuzz", "corpus", "gguf", "tensor-bytes-overflow.bin");

        var e = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path).Dispose());

        Assert.Contains("tensor 'a' shape [1729382256910270472, 2] of F32 is more than 2^63 bytes", e.Message);
    }
}
