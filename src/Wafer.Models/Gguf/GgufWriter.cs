using System.Text;
using Wafer.Kernels;
using Wafer.Kernels.Quantization;

namespace Wafer.Models.Gguf;

/// <summary>Writes GGUF v3 files: metadata, tensor directory and aligned tensor data.</summary>
public sealed class GgufWriter
{
    private readonly List<(string Name, GgmlType Type, long[] Dimensions, ReadOnlyMemory<byte> Data)> _tensors = [];

    /// <summary>Metadata to write, in order.</summary>
    public GgufMetadata Metadata { get; } = new();

    /// <summary>Data alignment in bytes (written as <c>general.alignment</c> when not 32).</summary>
    public int Alignment { get; init; } = GgufFile.DefaultAlignment;

    /// <summary>Adds a tensor; <paramref name="dimensions"/> are in ggml order (row length first).</summary>
    public void AddTensor(string name, GgmlType type, long[] dimensions, ReadOnlyMemory<byte> data)
    {
        long elements = 1;
        foreach (var d in dimensions) elements *= d;
        long expected = elements / TensorTypes.BlockSize(type) * TensorTypes.BlockBytes(type);
        if (data.Length != expected)
            throw new ArgumentException($"tensor '{name}' of type {type} and shape [{string.Join(", ", dimensions)}] needs {expected} bytes, got {data.Length}", nameof(data));
        _tensors.Add((name, type, dimensions, data));
    }

    /// <summary>Writes the file to <paramref name="path"/>.</summary>
    public void Write(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Write(stream);
    }

    /// <summary>Writes the file to a stream.</summary>
    public void Write(Stream stream)
    {
        if (Alignment != GgufFile.DefaultAlignment && !Metadata.Contains("general.alignment"))
            Metadata.Set("general.alignment", GgufValueType.UInt32, (uint)Alignment);
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(0x46554747u);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)Metadata.Count);
        foreach (var e in Metadata.Entries)
        {
            WriteString(w, e.Key);
            w.Write((uint)e.Type);
            WriteValue(w, e.Type, e.Value);
        }
        long offset = 0;
        foreach (var t in _tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Dimensions.Length);
            foreach (var d in t.Dimensions) w.Write((ulong)d);
            w.Write((uint)t.Type);
            w.Write((ulong)offset);
            offset = AlignUp(offset + t.Data.Length);
        }
        Pad(w);
        foreach (var t in _tensors)
        {
            w.Write(t.Data.Span);
            Pad(w);
        }
    }

    private long AlignUp(long value) => (value + Alignment - 1) / Alignment * Alignment;

    private void Pad(BinaryWriter w)
    {
        w.Flush();
        long position = w.BaseStream.Position;
        for (long i = position; i < AlignUp(position); i++) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufValueType type, object value)
    {
        switch (type)
        {
            case GgufValueType.UInt8: w.Write(Convert.ToByte(value, null)); break;
            case GgufValueType.Int8: w.Write(Convert.ToSByte(value, null)); break;
            case GgufValueType.UInt16: w.Write(Convert.ToUInt16(value, null)); break;
            case GgufValueType.Int16: w.Write(Convert.ToInt16(value, null)); break;
            case GgufValueType.UInt32: w.Write(Convert.ToUInt32(value, null)); break;
            case GgufValueType.Int32: w.Write(Convert.ToInt32(value, null)); break;
            case GgufValueType.Float32: w.Write(Convert.ToSingle(value, null)); break;
            case GgufValueType.Bool: w.Write((bool)value ? (byte)1 : (byte)0); break;
            case GgufValueType.String: WriteString(w, (string)value); break;
            case GgufValueType.UInt64: w.Write(Convert.ToUInt64(value, null)); break;
            case GgufValueType.Int64: w.Write(Convert.ToInt64(value, null)); break;
            case GgufValueType.Float64: w.Write(Convert.ToDouble(value, null)); break;
            case GgufValueType.Array: WriteArray(w, (Array)value); break;
            default: throw new ArgumentException($"unknown GGUF value type {type}", nameof(type));
        }
    }

    private static void WriteArray(BinaryWriter w, Array array)
    {
        var elementType = ValueTypeOf(array.GetType().GetElementType()!);
        w.Write((uint)elementType);
        w.Write((ulong)array.Length);
        foreach (var item in array) WriteValue(w, elementType == GgufValueType.Array ? GgufValueType.Array : elementType, item!);
    }

    /// <summary>The GGUF value type that stores a CLR type.</summary>
    public static GgufValueType ValueTypeOf(Type t) =>
        t == typeof(byte) ? GgufValueType.UInt8 : t == typeof(sbyte) ? GgufValueType.Int8
        : t == typeof(ushort) ? GgufValueType.UInt16 : t == typeof(short) ? GgufValueType.Int16
        : t == typeof(uint) ? GgufValueType.UInt32 : t == typeof(int) ? GgufValueType.Int32
        : t == typeof(float) ? GgufValueType.Float32 : t == typeof(bool) ? GgufValueType.Bool
        : t == typeof(string) ? GgufValueType.String : t == typeof(ulong) ? GgufValueType.UInt64
        : t == typeof(long) ? GgufValueType.Int64 : t == typeof(double) ? GgufValueType.Float64
        : t.IsArray || t == typeof(object) ? GgufValueType.Array
        : throw new ArgumentException($"type {t} has no GGUF value type", nameof(t));
}
