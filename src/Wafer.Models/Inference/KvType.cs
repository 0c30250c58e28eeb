namespace Wafer.Models.Inference;

/// <summary>How the KV cache stores keys or values (llama.cpp's <c>-ctk</c>/<c>-ctv</c>): F32 (4 bytes a value), F16
/// (2 bytes, nearest even) or Q8_0 (blocks of 32 signed bytes with an F16 scale: 34 bytes per 32 values).</summary>
public enum KvType
{
    F32,
    F16,
    Q8_0,
}

/// <summary>Names, sizes and checks of <see cref="KvType"/>.</summary>
public static class KvTypes
{
    /// <summary>The names the command line takes.</summary>
    public static string Names => "f32, f16, q8_0";

    /// <summary>The type <paramref name="text"/> names (case-insensitive), or an <see cref="ArgumentException"/> naming
    /// <paramref name="option"/> and the choices.</summary>
    public static KvType Parse(string text, string option) => text.Trim().ToLowerInvariant() switch
    {
        "f32" => KvType.F32,
        "f16" => KvType.F16,
        "q8_0" or "q8" => KvType.Q8_0,
        _ => throw new ArgumentException($"{option} '{text}' is not a KV cache type; choose {Names}"),
    };

    /// <summary>The name as llama.cpp writes it (f32, f16, q8_0).</summary>
    public static string Name(this KvType type) => type switch
    {
        KvType.F16 => "f16",
        KvType.Q8_0 => "q8_0",
        _ => "f32",
    };

    /// <summary>Bytes one row of <paramref name="length"/> values takes.</summary>
    public static int RowBytes(this KvType type, int length) => type switch
    {
        KvType.F16 => 2 * length,
        KvType.Q8_0 => length / 32 * 34,
        _ => 4 * length,
    };

    /// <summary>Stores one row of floats as <paramref name="type"/> in <paramref name="destination"/> (<see cref="RowBytes"/> long).</summary>
    public static void Encode(this KvType type, ReadOnlySpan<float> row, Span<byte> destination)
    {
        switch (type)
        {
            case KvType.F16:
                Kernels.Ops.KvRowCodec.SingleToHalf(row, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(destination));
                break;
            case KvType.Q8_0:
                Kernels.Ops.KvRowCodec.SingleToQ8_0(row, destination);
                break;
            default:
                row.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(destination));
                break;
        }
    }

    /// <summary>Widens columns [<paramref name="column"/>, + <paramref name="destination"/>.Length) of a row stored as
    /// <paramref name="type"/> (for Q8_0, multiples of 32).</summary>
    public static void Decode(this KvType type, ReadOnlySpan<byte> row, int column, Span<float> destination)
    {
        int width = destination.Length;
        switch (type)
        {
            case KvType.F16:
                Kernels.Ops.KvRowCodec.HalfToSingle(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(row.Slice(2 * column, 2 * width)), destination);
                break;
            case KvType.Q8_0:
                Kernels.Ops.KvRowCodec.Q8_0ToSingle(row.Slice(column / 32 * 34, width / 32 * 34), destination);
                break;
            default:
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(row.Slice(4 * column, 4 * width)).CopyTo(destination);
                break;
        }
    }

    /// <summary>Throws when a model with heads of <paramref name="headDim"/> values cannot use <paramref name="type"/>
    /// (Q8_0 quantizes each head's values in blocks of 32, as llama.cpp requires).</summary>
    public static void Require(this KvType type, int headDim, string option)
    {
        if (type == KvType.Q8_0 && headDim % 32 != 0)
            throw new ArgumentException($"{option} q8_0 needs a head size that is a multiple of 32; this model's is {headDim}: use f16 or f32");
    }
}
