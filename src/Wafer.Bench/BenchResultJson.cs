using System.Text.Json;

namespace Wafer.Bench;

/// <summary>Writes a benchmark's results as JSON: <c>{"config": …, "runs": [{…, "requests": […]}]}</c>; the key names are a contract (docs/bench-serve.md).</summary>
internal static class BenchResultJson
{
    public static void Write(Stream stream, BenchServeOptions options, DateTimeOffset startedUtc, IReadOnlyList<RunSummary> runs)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        WriteConfig(json, options, startedUtc);
        json.WriteStartArray("runs");
        foreach (var run in runs) WriteRun(json, run);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteConfig(Utf8JsonWriter json, BenchServeOptions o, DateTimeOffset startedUtc)
    {
        json.WriteStartObject("config");
        json.WriteString("tool", "wafer bench serve");
        json.WriteString("label", o.EffectiveLabel);
        json.WriteString("started_utc", startedUtc.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        json.WriteString("url", o.Url);
        json.WriteString("model", o.Model);
        json.WriteString("endpoint", o.Endpoint.Name());
        json.WriteNumber("requests", o.RequestCount);
        json.WriteString("mode", o.Levels[0].Concurrency != null ? "concurrency" : "rate");
        json.WriteStartArray("levels");
        foreach (var level in o.Levels) json.WriteNumberValue(level.Concurrency ?? level.Rate!.Value);
        json.WriteEndArray();
        json.WriteString("workload", o.Workload.Kind.Name());
        json.WriteString("prompt_tokens", o.Workload.PromptTokens.ToString());
        json.WriteNumber("output_tokens", o.Workload.OutputTokens);
        json.WriteString("long_prompt_tokens", o.Workload.LongPromptTokens.ToString());
        json.WriteNumber("long_fraction", o.Workload.LongFraction);
        json.WriteNumber("prefix_groups", o.Workload.PrefixGroupCount);
        json.WriteNumber("prefix_tokens", o.Workload.PrefixTokens);
        json.WriteNumber("seed", o.Seed);
        JsonWriting.NumberOrNull(json, "slo_ttft_ms", o.Slo.TtftMs);
        JsonWriting.NumberOrNull(json, "slo_itl_ms", o.Slo.ItlMs);
        json.WriteBoolean("ignore_eos", o.IgnoreEos);
        json.WriteBoolean("greedy", o.Greedy || o.Predicted);
        json.WriteBoolean("predicted", o.Predicted);
        json.WriteNumber("warmup", o.WarmupCount);
        json.WriteNumber("timeout_s", o.RequestTimeout.TotalSeconds);
        json.WriteEndObject();
    }

    private static void WriteRun(Utf8JsonWriter json, RunSummary run)
    {
        json.WriteStartObject();
        if (run.Level.Concurrency is int c) json.WriteNumber("concurrency", c);
        else json.WriteNumber("rate", run.Level.Rate!.Value);
        json.WriteNumber("requests_completed", run.RequestsCompleted);
        json.WriteNumber("errors", run.Errors);
        json.WriteStartObject("errors_by_status");
        foreach (var (kind, count) in run.ErrorsByStatus) json.WriteNumber(kind, count);
        json.WriteEndObject();
        json.WriteNumber("reconnects", run.Reconnects);
        json.WriteStartObject("kv_precision");
        foreach (var (precision, count) in run.KvPrecisions) json.WriteNumber(precision, count);
        json.WriteEndObject();
        json.WriteNumber("duration_s", Round(run.Result.DurationSeconds));
        json.WriteNumber("request_throughput", Round(run.RequestThroughput));
        json.WriteNumber("output_token_throughput", Round(run.OutputTokenThroughput));
        json.WriteNumber("input_token_throughput", Round(run.InputTokenThroughput));
        JsonWriting.NumberOrNull(json, "goodput", run.Goodput is double g ? Round(g) : null);
        Summary(json, "ttft_ms", run.TtftMs);
        Summary(json, "itl_ms", run.ItlMs);
        Summary(json, "e2e_ms", run.E2eMs);
        Summary(json, "tpot_ms", run.TpotMs);
        json.WriteStartArray("requests");
        foreach (var r in run.Result.Records) WriteRequest(json, r);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteRequest(Utf8JsonWriter json, RequestRecord r)
    {
        json.WriteStartObject();
        json.WriteNumber("index", r.Index);
        json.WriteNumber("start_ms", Round(r.StartMs));
        json.WriteNumber("status", r.StatusCode);
        if (r.ErrorKind == null) json.WriteNull("error");
        else json.WriteString("error", r.ErrorKind);
        if (r.ErrorMessage != null) json.WriteString("error_message", r.ErrorMessage);
        json.WriteBoolean("reconnected", r.Reconnected);
        if (r.KvPrecision != null) json.WriteString("kv_precision", r.KvPrecision);
        JsonWriting.NumberOrNull(json, "ttft_ms", r.TtftMs is double t ? Round(t) : null);
        json.WriteNumber("e2e_ms", Round(r.E2eMs));
        json.WriteNumber("prompt_tokens", r.PromptTokens);
        json.WriteNumber("output_tokens", r.OutputTokens);
        json.WriteBoolean("usage_reported", r.UsageReported);
        json.WriteStartArray("itl_ms");
        foreach (double v in r.ItlMs) json.WriteNumberValue(Round(v));
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Summary(Utf8JsonWriter json, string name, LatencySummary s)
    {
        json.WriteStartObject(name);
        JsonWriting.NumberOrNull(json, "mean", s.Count > 0 ? Round(s.Mean) : null);
        JsonWriting.NumberOrNull(json, "p50", s.Count > 0 ? Round(s.P50) : null);
        JsonWriting.NumberOrNull(json, "p90", s.Count > 0 ? Round(s.P90) : null);
        JsonWriting.NumberOrNull(json, "p99", s.Count > 0 ? Round(s.P99) : null);
        JsonWriting.NumberOrNull(json, "max", s.Count > 0 ? Round(s.Max) : null);
        json.WriteEndObject();
    }

    // Microsecond resolution is all a network benchmark can honestly claim.
    private static double Round(double value) => Math.Round(value, 3);
}
