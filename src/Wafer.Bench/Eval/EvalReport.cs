using System.Globalization;
using System.Text.Json;
using Wafer.Bench.Charts;

namespace Wafer.Bench.Eval;

/// <summary>Writes <c>wafer eval</c>'s results: the JSON file (<c>{"config", "scored_tokens", "energy", "rows": [...]}</c>, key
/// names a contract) and the charts (divergence against decode speed, perplexity against weight size, a series per KV type).</summary>
internal static class EvalReport
{
    private const double MiB = 1024 * 1024;

    public static void WriteJson(Stream stream, EvalResult result)
    {
        var o = result.Options;
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("config");
        json.WriteString("tool", "wafer eval");
        json.WriteString("model", Path.GetFileName(o.ModelPath));
        json.WriteString("text", Path.GetFileName(o.TextPath));
        json.WriteNumber("context", o.Context);
        json.WriteNumber("max_chunks", o.MaxChunks);
        json.WriteNumber("prompt_tokens", o.PromptTokens);
        json.WriteNumber("decode_tokens", o.DecodeTokens);
        json.WriteNumber("repetitions", o.Repetitions);
        json.WriteNumber("threads", o.Threads);
        json.WriteEndObject();
        json.WriteNumber("scored_tokens", result.ScoredTokens);
        if (result.NoEnergyReason != null) json.WriteString("energy", $"not measured: {result.NoEnergyReason}");
        else json.WriteString("energy", "powercap");
        json.WriteStartArray("rows");
        foreach (var r in result.Rows)
        {
            json.WriteStartObject();
            json.WriteString("setting", r.Name);
            json.WriteString("weights", r.Weights);
            json.WriteString("kv_keys", r.KvKeys);
            json.WriteString("kv_values", r.KvValues);
            json.WriteBoolean("reference", r.IsReference);
            json.WriteNumber("weight_bytes", r.WeightBytes);
            json.WriteNumber("perplexity", r.Quality.Perplexity);
            json.WriteNumber("perplexity_stderr", r.Quality.PerplexityError);
            json.WriteNumber("kl_mean", r.Quality.MeanKl);
            json.WriteNumber("kl_median", r.Quality.MedianKl);
            json.WriteNumber("kl_p99", r.Quality.P99Kl);
            json.WriteNumber("kl_max", r.Quality.MaxKl);
            json.WriteNumber("top1_agreement", r.Quality.Top1Agreement);
            json.WriteNumber("prefill_tokens_per_second", Math.Round(r.PrefillTokensPerSecond, 1));
            json.WriteNumber("decode_tokens_per_second", Math.Round(r.DecodeTokensPerSecond, 1));
            json.WriteNumber("kv_bytes_per_1k_tokens", r.KvBytesPer1kTokens);
            JsonWriting.NumberOrNull(json, "joules_per_token", r.JoulesPerToken);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    public static byte[] Png(EvalResult result) => ChartImages.Png(Charts(result));

    internal static IReadOnlyList<ChartModel> Charts(EvalResult result)
    {
        var byKv = result.Rows.GroupBy(r => r.KvKeys).ToList();
        ChartSeries Series(IGrouping<string, EvalRow> g, int i, Func<EvalRow, double> x, Func<EvalRow, double> y) =>
            new($"KV {g.Key}", i, false, [.. g.Select(r => (x(r), y(r))).OrderBy(p => p.Item1)], MarkersOnly: true);
        string model = Path.GetFileNameWithoutExtension(result.Options.ModelPath);
        return
        [
            new ChartModel($"{model}: divergence vs speed", "decode tokens/s", "mean KL divergence (nats)", false,
                [.. byKv.Select((g, i) => Series(g, i, r => r.DecodeTokensPerSecond, r => r.Quality.MeanKl))]),
            new ChartModel($"{model}: perplexity vs size", "weights (MiB)", "perplexity", false,
                [.. byKv.Select((g, i) => Series(g, i, r => r.WeightBytes / MiB, r => r.Quality.Perplexity))]),
        ];
    }

    /// <summary>A number for the table: four significant digits, or scientific below 0.001.</summary>
    public static string Small(double value) => value == 0 ? "0" : Math.Abs(value) < 0.001
        ? value.ToString("0.00e+0", CultureInfo.InvariantCulture)
        : value.ToString("0.####", CultureInfo.InvariantCulture);
}
