using Wafer.Kernels;
using Wafer.Models.Gguf;

namespace Wafer.Models.Tests.Gguf;

public class GgufFileTests
{
    [Fact]
    public void Open_Stories260K_ReadsMetadataAndTensors()
    {
        using var file = GgufFile.Open(Fixtures.Path("models/stories260K.gguf"));
        Assert.Equal("llama", file.Metadata.GetString("general.architecture"));
        Assert.Equal(5, file.Metadata.GetInt64("llama.block_count"));
        Assert.Equal(512, file.Metadata.GetArrayOrDefault<string>("tokenizer.ggml.tokens")!.Length);
        Assert.Equal(48, file.Tensors.Count);
        var embedding = file.GetTensor("token_embd.weight");
        Assert.Equal(GgmlType.F32, embedding.Type);
        Assert.Equal([64L, 512L], embedding.Dimensions);
        Assert.Equal(64 * 512 * 4, file.Data(embedding).Length);
    }

    [Fact]
    public void WriteThenOpen_RoundTripsEveryValueType()
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"wafer-{Guid.NewGuid():N}.gguf");
        try
        {
            var writer = new GgufWriter();
            writer.Metadata.Set("u8", GgufValueType.UInt8, (byte)7);
            writer.Metadata.Set("i8", GgufValueType.Int8, (sbyte)-7);
            writer.Metadata.Set("u16", GgufValueType.UInt16, (ushort)700);
            writer.Metadata.Set("i16", GgufValueType.Int16, (short)-700);
            writer.Metadata.Set("u32", GgufValueType.UInt32, 70000u);
            writer.Metadata.Set("i32", GgufValueType.Int32, -70000);
            writer.Metadata.Set("f32", GgufValueType.Float32, 1.5f);
            writer.Metadata.Set("bool", GgufValueType.Bool, true);
            writer.Metadata.Set("str", GgufValueType.String, "héllo");
            writer.Metadata.Set("u64", GgufValueType.UInt64, ulong.MaxValue);
            writer.Metadata.Set("i64", GgufValueType.Int64, long.MinValue);
            writer.Metadata.Set("f64", GgufValueType.Float64, Math.PI);
            writer.Metadata.Set("strs", GgufValueType.Array, new[] { "a", "bc" });
            writer.Metadata.Set("floats", GgufValueType.Array, new[] { 1f, 2f });
            writer.Metadata.Set("nested", GgufValueType.Array, new object[] { new[] { 1, 2 }, new[] { 3 } });
            var data = new byte[3 * 4 * 4];
            data[5] = 42;
            writer.AddTensor("t", GgmlType.F32, [3, 4], data);
            writer.AddTensor("u", GgmlType.F32, [1], new byte[4]);
            writer.Write(path);

            using var file = GgufFile.Open(path);
            var m = file.Metadata;
            Assert.Equal((byte)7, m.GetValueOrDefault("u8"));
            Assert.Equal((sbyte)-7, m.GetValueOrDefault("i8"));
            Assert.Equal((ushort)700, m.GetValueOrDefault("u16"));
            Assert.Equal((short)-700, m.GetValueOrDefault("i16"));
            Assert.Equal(70000u, m.GetValueOrDefault("u32"));
            Assert.Equal(-70000, m.GetValueOrDefault("i32"));
            Assert.Equal(1.5f, m.GetValueOrDefault("f32"));
            Assert.True(m.GetBoolOrDefault("bool", false));
            Assert.Equal("héllo", m.GetString("str"));
            Assert.Equal(ulong.MaxValue, m.GetValueOrDefault("u64"));
            Assert.Equal(long.MinValue, m.GetInt64("i64"));
            Assert.Equal(Math.PI, m.GetDoubleOrDefault("f64", 0));
            Assert.Equal(["a", "bc"], m.GetArrayOrDefault<string>("strs")!);
            Assert.Equal([1f, 2f], m.GetArrayOrDefault<float>("floats")!);
            Assert.Equal([3], (int[])m.GetArrayOrDefault<object>("nested")![1]);
            Assert.Equal(42, file.Data(file.GetTensor("t"))[5]);
            Assert.Equal(0, file.GetTensor("u").Offset % 32);
            Assert.Equal(64, file.GetTensor("u").Offset);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
