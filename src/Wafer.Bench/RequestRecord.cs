namespace Wafer.Bench;

/// <summary>What one request measured: its timings in milliseconds (monotonic clock), token counts, and how it failed if it did.</summary>
internal sealed record RequestRecord
{
    public required int Index { get; init; }

    /// <summary>When the request was sent, from the start of its load level (for a <see cref="Reconnected"/> one, when the retry was).</summary>
    public required double StartMs { get; init; }

    public bool Success => ErrorKind == null;

    /// <summary>HTTP status, or 0 when no response came (refused, timed out).</summary>
    public int StatusCode { get; init; }

    /// <summary>Null on success; else the HTTP status ("429", "500") or a failure name ("connection_refused", "timeout", "connection_error", "stream_error", "no_tokens", "client_error").</summary>
    public string? ErrorKind { get; init; }

    /// <summary>Details of the failure (server message or exception), or null.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>True when the first try met a kept-alive connection the server had closed (no byte of an answer came) and this record
    /// is the one retry, on a fresh connection, timed from the retry; the failed try is not counted as an error.</summary>
    public bool Reconnected { get; init; }

    /// <summary>The KV precision the server says served the request (Wafer's <c>X-Wafer-KV-Precision</c> header), or null.</summary>
    public string? KvPrecision { get; init; }

    /// <summary>The answer's text, when the request asked to keep it (<see cref="BenchRequest.CaptureText"/>).</summary>
    public string? Text { get; init; }

    /// <summary>Time to first token: request sent → first chunk with text.</summary>
    public double? TtftMs { get; init; }

    /// <summary>Gaps between successive chunks with text.</summary>
    public double[] ItlMs { get; init; } = [];

    /// <summary>End-to-end latency: request sent → stream ended (or failed).</summary>
    public double E2eMs { get; init; }

    public int PromptTokens { get; init; }

    public int OutputTokens { get; init; }

    /// <summary>True when the token counts came from the server's <c>usage</c>; false when output chunks were counted.</summary>
    public bool UsageReported { get; init; }

    /// <summary>Time per output token after the first: (e2e − ttft) / (tokens − 1), or null with fewer than two tokens.</summary>
    public double? TpotMs => TtftMs is double t && OutputTokens > 1 ? (E2eMs - t) / (OutputTokens - 1) : null;

    /// <summary>Mean of this request's inter-token latencies, or null without any.</summary>
    public double? MeanItlMs => ItlMs.Length > 0 ? ItlMs.Average() : null;
}
