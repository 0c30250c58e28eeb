using System.Globalization;

namespace Wafer.Models.Gguf;

/// <summary>GGUF metadata: typed key/values in file order.</summary>
/// <remarks>Scalars are stored boxed as their exact CLR type (byte, sbyte, ushort, short, uint, int,
/// float, bool, string, ulong, long, double); arrays as typed CLR arrays (e.g. <c>string[]</c>,
/// <c>float[]</c>, <c>int[]</c>), or <c>object[]</c> for arrays of arrays.</remarks>
public sealed class GgufMetadata
{
    private readonly Dictionary<string, GgufMetadataEntry> _entries = new(StringComparer.Ordinal);
    private readonly List<GgufMetadataEntry> _ordered = [];

    /// <summary>All entries in file order.</summary>
    public IReadOnlyList<GgufMetadataEntry> Entries => _ordered;

    /// <summary>Number of entries.</summary>
    public int Count => _ordered.Count;

    /// <summary>Adds or replaces an entry (used by the writer and by tests).</summary>
    public void Set(string key, GgufValueType type, object value)
    {
        var entry = new GgufMetadataEntry(key, type, value);
        if (_entries.TryGetValue(key, out var old)) _ordered[_ordered.IndexOf(old)] = entry;
        else _ordered.Add(entry);
        _entries[key] = entry;
    }

    /// <summary>True when the key is present.</summary>
    public bool Contains(string key) => _entries.ContainsKey(key);

    /// <summary>The raw value of a key, or null.</summary>
    public object? GetValueOrDefault(string key) => _entries.TryGetValue(key, out var e) ? e.Value : null;

    /// <summary>A string value, or <paramref name="fallback"/> when absent.</summary>
    public string? GetStringOrDefault(string key, string? fallback = null) =>
        GetValueOrDefault(key) switch { null => fallback, string s => s, var v => throw WrongType(key, v, "string") };

    /// <summary>A required string value.</summary>
    public string GetString(string key) => GetStringOrDefault(key) ?? throw Missing(key);

    /// <summary>An integer value of any GGUF integer type, or <paramref name="fallback"/> when absent.</summary>
    public long GetInt64OrDefault(string key, long fallback) =>
        GetValueOrDefault(key) switch
        {
            null => fallback,
            byte or sbyte or ushort or short or uint or int or long => Convert.ToInt64(GetValueOrDefault(key), CultureInfo.InvariantCulture),
            ulong u when u <= long.MaxValue => (long)u,
            var v => throw WrongType(key, v, "integer"),
        };

    /// <summary>An unsigned integer value, or <paramref name="fallback"/> when absent.</summary>
    public ulong GetUInt64OrDefault(string key, ulong fallback) =>
        GetValueOrDefault(key) is ulong u ? u : (ulong)Math.Max(0, GetInt64OrDefault(key, (long)fallback));

    /// <summary>A required integer value.</summary>
    public long GetInt64(string key) => Contains(key) ? GetInt64OrDefault(key, 0) : throw Missing(key);

    /// <summary>A floating-point value (any numeric type), or <paramref name="fallback"/> when absent.</summary>
    public double GetDoubleOrDefault(string key, double fallback) =>
        GetValueOrDefault(key) switch
        {
            null => fallback,
            float f => f,
            double d => d,
            byte or sbyte or ushort or short or uint or int or long or ulong => Convert.ToDouble(GetValueOrDefault(key), CultureInfo.InvariantCulture),
            var v => throw WrongType(key, v, "number"),
        };

    /// <summary>A boolean value, or <paramref name="fallback"/> when absent.</summary>
    public bool GetBoolOrDefault(string key, bool fallback) =>
        GetValueOrDefault(key) switch { null => fallback, bool b => b, var v => throw WrongType(key, v, "bool") };

    /// <summary>An array value as <typeparamref name="T"/>[], or null when absent.</summary>
    public T[]? GetArrayOrDefault<T>(string key) =>
        GetValueOrDefault(key) switch { null => null, T[] a => a, var v => throw WrongType(key, v, typeof(T).Name + "[]") };

    private static GgufFormatException Missing(string key) => new($"metadata key '{key}' is missing");

    private static GgufFormatException WrongType(string key, object value, string expected) =>
        new($"metadata key '{key}' holds a {value.GetType().Name}, expected {expected}");

    internal static GgufMetadata Read(GgufCursor cursor, long count)
    {
        var metadata = new GgufMetadata();
        for (long i = 0; i < count; i++)
        {
            string key = cursor.String($"key of metadata entry {i}");
            var type = (GgufValueType)cursor.U32($"type of metadata '{key}'");
            metadata.Set(key, type, ReadValue(cursor, type, key, depth: 0));
        }
        return metadata;
    }

    private static object ReadValue(GgufCursor c, GgufValueType type, string key, int depth) => type switch
    {
        GgufValueType.UInt8 => c.U8(key),
        GgufValueType.Int8 => (sbyte)c.U8(key),
        GgufValueType.UInt16 => c.U16(key),
        GgufValueType.Int16 => (short)c.U16(key),
        GgufValueType.UInt32 => c.U32(key),
        GgufValueType.Int32 => (int)c.U32(key),
        GgufValueType.Float32 => c.F32(key),
        GgufValueType.Bool => c.U8(key) != 0,
        GgufValueType.String => c.String(key),
        GgufValueType.UInt64 => c.U64(key),
        GgufValueType.Int64 => (long)c.U64(key),
        GgufValueType.Float64 => c.F64(key),
        GgufValueType.Array => ReadArray(c, key, depth),
        _ => throw c.Error($"metadata '{key}' has unknown value type {(uint)type}"),
    };

    private static object ReadArray(GgufCursor c, string key, int depth)
    {
        if (depth > 4) throw c.Error($"metadata '{key}' nests arrays too deeply");
        var elementType = (GgufValueType)c.U32($"element type of '{key}'");
        long n = c.Count($"element count of '{key}'", MinBytes(elementType));
        switch (elementType)
        {
            case GgufValueType.String:
                var strings = new string[n];
                for (long i = 0; i < n; i++) strings[i] = c.String(key);
                return strings;
            case GgufValueType.Float32: return Fill(n, () => c.F32(key));
            case GgufValueType.Int32: return Fill(n, () => (int)c.U32(key));
            case GgufValueType.UInt32: return Fill(n, () => c.U32(key));
            case GgufValueType.UInt8: return Fill(n, () => c.U8(key));
            case GgufValueType.Int8: return Fill(n, () => (sbyte)c.U8(key));
            case GgufValueType.UInt16: return Fill(n, () => c.U16(key));
            case GgufValueType.Int16: return Fill(n, () => (short)c.U16(key));
            case GgufValueType.Bool: return Fill(n, () => c.U8(key) != 0);
            case GgufValueType.UInt64: return Fill(n, () => c.U64(key));
            case GgufValueType.Int64: return Fill(n, () => (long)c.U64(key));
            case GgufValueType.Float64: return Fill(n, () => c.F64(key));
            case GgufValueType.Array:
                var nested = new object[n];
                for (long i = 0; i < n; i++) nested[i] = ReadArray(c, key, depth + 1);
                return nested;
            default: throw c.Error($"metadata '{key}' is an array of unknown type {(uint)elementType}");
        }
    }

    private static T[] Fill<T>(long n, Func<T> read)
    {
        var a = new T[n];
        for (long i = 0; i < n; i++) a[i] = read();
        return a;
    }

    internal static int MinBytes(GgufValueType t) => t switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.String or GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        GgufValueType.Array => 12,
        _ => 1,
    };
}

/// <summary>One metadata key/value with its GGUF type.</summary>
public sealed record GgufMetadataEntry(string Key, GgufValueType Type, object Value);
