using System.Buffers.Binary;
using Wafer.Kernels;
using Wafer.Models.Gguf;

namespace Wafer.Models.Tests.Gguf;

public sealed class GgufHostileFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-gguf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] ValidFile()
    {
        var writer = new GgufWriter();
        writer.Metadata.Set("general.architecture", GgufValueType.String, "llama");
        writer.AddTensor("a", GgmlType.F32, [8, 2], new byte[64]);
        writer.AddTensor("b", GgmlType.F32, [8], new byte[32]);
        using var stream = new MemoryStream();
        writer.Write(stream);
        return stream.ToArray();
    }

    private static GgufFormatException OpenFails(string path) => Assert.Throws<GgufFormatException>(() => GgufFile.Open(path).Dispose());

    [Fact]
    public void Open_BadMagic_NamesTheFileAndTheMagic()
    {
        var bytes = ValidFile();
        bytes[0] = (byte)'X';
        var e = OpenFails(Write("bad-magic.gguf", bytes));
        Assert.Contains("bad-magic.gguf", e.Message);
        Assert.Contains("not a GGUF file", e.Message);
    }

    [Fact]
    public void Open_RandomBytes_FailsCleanly()
    {
        var bytes = new byte[4096];
        new Random(1).NextBytes(bytes);
        Assert.Contains("random.gguf", OpenFails(Write("random.gguf", bytes)).Message);
    }

    [Fact]
    public void Open_UnsupportedVersion_Fails()
    {
        var bytes = ValidFile();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 99);
        Assert.Contains("version 99", OpenFails(Write("v99.gguf", bytes)).Message);
    }

    [Fact]
    public void Open_HugeTensorCount_FailsWithoutAllocating()
    {
        var bytes = ValidFile();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), ulong.MaxValue / 2);
        Assert.Contains("tensor count", OpenFails(Write("huge-count.gguf", bytes)).Message);
    }

    [Fact]
    public void Open_HugeMetadataCount_FailsWithoutAllocating()
    {
        var bytes = ValidFile();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), 1L << 40);
        Assert.Contains("metadata count", OpenFails(Write("huge-kv.gguf", bytes)).Message);
    }

    [Fact]
    public void Open_HugeStringLength_FailsWithoutAllocating()
    {
        var bytes = ValidFile();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), 1L << 50); // length of the first key
        Assert.Contains("more than the", OpenFails(Write("huge-string.gguf", bytes)).Message);
    }

    [Fact]
    public void Open_EveryTruncation_FailsCleanly()
    {
        var bytes = ValidFile();
        for (int length = 0; length < bytes.Length; length += 7)
        {
            var e = OpenFails(Write($"cut-{length}.gguf", bytes[..length]));
            Assert.Contains($"cut-{length}.gguf", e.Message);
        }
    }

    [Fact]
    public void Open_TensorOffsetPastEnd_NamesTheTensor()
    {
        var bytes = ValidFile();
        int at = IndexOfTensorOffset(bytes, "b");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), 1 << 20);
        var e = OpenFails(Write("offset.gguf", bytes));
        Assert.Contains("tensor 'b'", e.Message);
        Assert.Contains("past the end", e.Message);
    }

    [Fact]
    public void Open_MisalignedTensorOffset_NamesTheTensor()
    {
        var bytes = ValidFile();
        int at = IndexOfTensorOffset(bytes, "b");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), 65);
        Assert.Contains("not aligned", OpenFails(Write("misaligned.gguf", bytes)).Message);
    }

    [Fact]
    public void Open_UnknownTensorType_NamesTheType()
    {
        var bytes = ValidFile();
        int at = IndexOfTensorOffset(bytes, "b") - 4;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), 200);
        Assert.Contains("unknown type id 200", OpenFails(Write("type.gguf", bytes)).Message);
    }

    [Fact]
    public void Open_MissingFile_Throws()
    {
        Assert.Throws<FileNotFoundException>(() => GgufFile.Open(Path.Combine(_dir, "absent.gguf")));
    }

    /// <summary>Offset of the u64 data offset in the directory entry of a 1-D tensor named <paramref name="name"/>.</summary>
    private static int IndexOfTensorOffset(byte[] bytes, string name)
    {
        // entry: u64 name length, name, u32 n_dims (1), u64 dim, u32 type, u64 offset
        var key = new byte[8 + name.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(key, (ulong)name.Length);
        System.Text.Encoding.ASCII.GetBytes(name).CopyTo(key, 8);
        int start = bytes.AsSpan().IndexOf(key);
        Assert.True(start > 0);
        return start + key.Length + 4 + 8 + 4;
    }
}
