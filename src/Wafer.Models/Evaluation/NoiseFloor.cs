using System.Text.Json;

namespace Wafer.Models.Evaluation;

/// <summary>llama.cpp's spread against itself per model (golden/noise-floor.json, F16 KV cache vs the golden F32 one).</summary>
public static class NoiseFloor
{
    /// <summary>Model file (relative to the fixtures root) → (median, p99) of top-10 |Δlogprob|.</summary>
    public static Dictionary<string, (double Median, double P99)> Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var result = new Dictionary<string, (double, double)>();
        foreach (var m in doc.RootElement.GetProperty("models").EnumerateArray())
        {
            var top10 = m.GetProperty("vs_golden").GetProperty("kv_f16_fa_off").GetProperty("top10_abs_dlogprob");
            result[m.GetProperty("file").GetString()!] = (top10.GetProperty("median").GetDouble(), top10.GetProperty("p99").GetDouble());
        }
        return result;
    }
}
