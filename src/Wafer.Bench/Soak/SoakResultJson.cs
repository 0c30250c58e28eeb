using System.Globalization;
using System.Text.Json;

namespace Wafer.Bench.Soak;

/// <summary>Writes a soak's results as JSON: <c>{"config", "passed", "problems", "requests", "by_kind", "failures",
/// "metrics", "samples"}</c>; the key names are a contract (docs/operations.md, "Soak").</summary>
internal static class SoakResultJson
{
    public static void Write(Stream stream, SoakOptions options, SoakRun run)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteStartObject("config");
        json.WriteString("tool", "wafer bench soak");
        json.WriteString("url", options.Url);
        json.WriteString("model", run.Model);
        json.WriteString("started_utc", run.StartedUtc.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        json.WriteNumber("duration_s", options.Duration.TotalSeconds);
        json.WriteNumber("concurrency", options.Concurrency);
        json.WriteNumber("sample_interval_s", options.SampleInterval.TotalSeconds);
        json.WriteNumber("max_tokens", options.MaxTokens);
        json.WriteNumber("max_prompt_words", options.MaxPromptWords);
        json.WriteNumber("cancel_share", options.CancelShare);
        json.WriteNumber("bad_share", options.BadShare);
        json.WriteNumber("warmup_share", options.WarmupShare);
        json.WriteNumber("seed", options.Seed);
        json.WriteEndObject();
        json.WriteNumber("elapsed_s", Math.Round(run.Elapsed.TotalSeconds, 1));
        json.WriteBoolean("passed", run.Verdict.Passed);
        json.WriteStartArray("problems");
        foreach (string problem in run.Verdict.Problems) json.WriteStringValue(problem);
        json.WriteEndArray();
        json.WriteStartObject("requests");
        json.WriteNumber("total", run.Tally.Total);
        json.WriteNumber("failed", run.Tally.Failures);
        json.WriteNumber("reached_server", run.Tally.ReachedServer);
        json.WriteNumber("reconnects", run.Tally.Reconnects);
        foreach (string result in (string[])[SoakResults.Ok, SoakResults.Cancelled, SoakResults.Rejected, SoakResults.Overloaded])
            json.WriteNumber(result, run.Tally.Count(result));
        json.WriteEndObject();
        json.WriteStartArray("by_kind");
        foreach (var (kind, result, count) in run.Tally.Counts())
        {
            json.WriteStartObject();
            json.WriteString("kind", kind.Name());
            json.WriteString("result", result);
            json.WriteNumber("count", count);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("failures");
        foreach (var (result, count, example) in run.Tally.FailuresByResult())
        {
            json.WriteStartObject();
            json.WriteString("result", result);
            json.WriteNumber("count", count);
            json.WriteString("example", example);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("metrics");
        foreach (var m in run.Verdict.Metrics) WriteMetric(json, m);
        json.WriteEndArray();
        json.WriteStartArray("samples");
        foreach (var sample in run.Load.Prepend(run.IdleStart).Append(run.IdleEnd)) WriteSample(json, sample);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteMetric(Utf8JsonWriter json, SoakMetricSummary m)
    {
        json.WriteStartObject();
        json.WriteString("name", m.Metric.Name);
        json.WriteString("series", m.Metric.Series);
        JsonWriting.NumberOrNull(json, "idle_start", m.IdleStart);
        JsonWriting.NumberOrNull(json, "idle_end", m.IdleEnd);
        JsonWriting.NumberOrNull(json, "min", m.Min);
        JsonWriting.NumberOrNull(json, "max", m.Max);
        JsonWriting.NumberOrNull(json, "early_median", m.EarlyMedian);
        JsonWriting.NumberOrNull(json, "late_median", m.LateMedian);
        JsonWriting.NumberOrNull(json, "limit", m.Limit);
        json.WriteString("problem", m.Problem);
        json.WriteEndObject();
    }

    private static void WriteSample(Utf8JsonWriter json, ServerSample sample)
    {
        json.WriteStartObject();
        json.WriteNumber("t_s", Math.Round(sample.Seconds, 2));
        foreach (var (series, value) in sample.Values) json.WriteNumber(series, value);
        if (sample.Error != null) json.WriteString("error", sample.Error);
        json.WriteEndObject();
    }
}
