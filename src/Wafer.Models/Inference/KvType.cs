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

    /// <summary>Throws when a model with heads of <paramref name="headDim"/> values cannot use <paramref name="type"/>
    /// (Q8_0 quantizes each head's values in blocks of 32, as llama.cpp requires).</summary>
    public static void Require(this KvType type, int headDim, string option)
    {
        if (type == KvType.Q8_0 && headDim % 32 != 0)
            throw new ArgumentException($"{option} q8_0 needs a head size that is a multiple of 32; this model's is {headDim}: use f16 or f32");
    }
}
