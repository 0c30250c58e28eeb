using System.Text.Json;

namespace Wafer.Bench;

/// <summary>The headline numbers of one load level, from a live run or read back from a result file: what tables and charts show.</summary>
internal sealed record BenchRunRow
{
    /// <summary>"concurrency" or "rate".</summary>
    public required string Mode { get; init; }

    /// <summary>The concurrency or the rate (requests per second).</summary>
    public required double LevelValue { get; init; }

    public required int RequestsCompleted { get; init; }

    public required int Errors { get; init; }

    /// <summary>Requests retried after the server closed their kept-alive connection; null in a result file written before the count existed.</summary>
    public int? Reconnects { get; init; }

    /// <summary>Successful requests by the KV precision that served them (Wafer's <c>--adaptive</c>); empty when not reported.</summary>
    public IReadOnlyDictionary<string, int> KvPrecisions { get; init; } = new Dictionary<string, int>();

    public required double RequestThroughput { get; init; }

    public required double OutputTokenThroughput { get; init; }

    public double? Goodput { get; init; }

    public required LatencySummary TtftMs { get; init; }

    public required LatencySummary ItlMs { get; init; }

    public required LatencySummary E2eMs { get; init; }

    public string LevelText => Mode == "concurrency"
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"c={LevelValue:0}")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"r={LevelValue:0.###}/s");

    public static BenchRunRow From(RunSummary run) => new()
    {
        Mode = run.Level.Concurrency != null ? "concurrency" : "rate",
        LevelValue = run.Level.Concurrency ?? run.Level.Rate!.Value,
        RequestsCompleted = run.RequestsCompleted,
        Errors = run.Errors,
        Reconnects = run.Reconnects,
        KvPrecisions = run.KvPrecisions,
        RequestThroughput = run.RequestThroughput,
        OutputTokenThroughput = run.OutputTokenThroughput,
        Goodput = run.Goodput,
        TtftMs = run.TtftMs,
        ItlMs = run.ItlMs,
        E2eMs = run.E2eMs,
    };

    /// <summary>Reads one element of a result file's <c>runs</c> array.</summary>
    public static BenchRunRow Parse(JsonElement run)
    {
        bool isConcurrency = run.TryGetProperty("concurrency", out var c);
        return new BenchRunRow
        {
            Mode = isConcurrency ? "concurrency" : "rate",
            LevelValue = isConcurrency ? c.GetDouble() : run.GetProperty("rate").GetDouble(),
            RequestsCompleted = run.GetProperty("requests_completed").GetInt32(),
            Errors = run.GetProperty("errors").GetInt32(),
            Reconnects = run.TryGetProperty("reconnects", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt32() : null,
            KvPrecisions = run.TryGetProperty("kv_precision", out var kv) && kv.ValueKind == JsonValueKind.Object
                ? kv.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()) : new Dictionary<string, int>(),
            RequestThroughput = run.GetProperty("request_throughput").GetDouble(),
            OutputTokenThroughput = run.GetProperty("output_token_throughput").GetDouble(),
            Goodput = run.TryGetProperty("goodput", out var g) && g.ValueKind == JsonValueKind.Number ? g.GetDouble() : null,
            TtftMs = Summary(run.GetProperty("ttft_ms")),
            ItlMs = Summary(run.GetProperty("itl_ms")),
            E2eMs = Summary(run.GetProperty("e2e_ms")),
        };
    }

    private static LatencySummary Summary(JsonElement s)
    {
        if (s.GetProperty("mean").ValueKind != JsonValueKind.Number) return LatencySummary.Empty;
        return new LatencySummary(1, s.GetProperty("mean").GetDouble(), s.GetProperty("p50").GetDouble(),
            s.GetProperty("p90").GetDouble(), s.GetProperty("p99").GetDouble(), s.GetProperty("max").GetDouble());
    }
}
