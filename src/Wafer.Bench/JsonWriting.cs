using System.Text.Json;

namespace Wafer.Bench;

/// <summary>Small writes the benchmark result files share.</summary>
internal static class JsonWriting
{
    /// <summary>Writes <paramref name="name"/>: the number, or null when there is none.</summary>
    public static void NumberOrNull(Utf8JsonWriter json, string name, double? value)
    {
        if (value is double v) json.WriteNumber(name, v);
        else json.WriteNull(name);
    }
}
