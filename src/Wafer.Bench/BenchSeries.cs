using System.Text.Json;

namespace Wafer.Bench;

/// <summary>One benchmarked system: a label (model @ server, or --label) and its rows, one per load level.</summary>
internal sealed record BenchSeries(string Label, string Source, IReadOnlyList<BenchRunRow> Rows)
{
    /// <summary>Reads a file written by <c>wafer bench serve --json</c>.</summary>
    public static BenchSeries Load(string path)
    {
        using var doc = ReadJson(path);
        var root = doc.RootElement;
        if (!root.TryGetProperty("config", out var config) || !root.TryGetProperty("runs", out var runs) || runs.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"'{path}' is not a result of wafer bench serve --json (expected the keys \"config\" and \"runs\")");
        string label = config.TryGetProperty("label", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString()! : Path.GetFileNameWithoutExtension(path);
        try
        {
            return new BenchSeries(label, path, [.. runs.EnumerateArray().Select(BenchRunRow.Parse)]);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{path}' has a run without the expected keys ({e.Message}); was it written by wafer bench serve --json?", e);
        }
    }

    private static JsonDocument ReadJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }
}
