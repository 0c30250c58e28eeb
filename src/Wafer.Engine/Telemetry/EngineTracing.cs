using System.Diagnostics;
using Wafer.Engine.Execution;
using Wafer.Engine.Requests;

namespace Wafer.Engine.Telemetry;

/// <summary>The engine's OpenTelemetry spans, for a request submitted inside an activity (the server's GenAI span): when the
/// request ends, three children of that activity are written with the times the engine kept — <c>wafer.queue</c> (arrival to
/// first scheduling), <c>wafer.prefill</c> (to the first token, one <c>chunk</c> event per prefill chunk) and
/// <c>wafer.decode</c> (to the last token) — and the activity gets the GenAI usage and finish reason. Not one span per token;
/// nothing is allocated or timed unless something listens to <see cref="SourceName"/>.</summary>
public static class EngineTracing
{
    /// <summary>The ActivitySource to subscribe to (<c>AddSource("Wafer.Engine")</c>).</summary>
    public const string SourceName = "Wafer.Engine";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>The activity a request submitted now belongs to: the current one, when the engine's spans have a listener.</summary>
    internal static Activity? Capture() => Source.HasListeners() ? Activity.Current : null;

    /// <summary>Writes the request's spans and tags once it has ended (normally with <paramref name="usage"/>, else cancelled or
    /// failed).</summary>
    internal static void Finished(ActiveRequest active, GenerationUsage? usage, FinishReason? reason, Exception? error)
    {
        var parent = active.Trace;
        if (parent == null) return;
        // One reading of both clocks maps every timestamp, so the spans meet exactly where one ends and the next starts.
        var wall = DateTimeOffset.UtcNow;
        long end = Stopwatch.GetTimestamp();
        DateTimeOffset Time(long timestamp) => wall - Stopwatch.GetElapsedTime(timestamp, end);
        var request = active.Request.Spec;
        parent.SetTag("gen_ai.request.max_tokens", request.MaxTokens);
        parent.SetTag("gen_ai.request.temperature", request.Sampling.Temperature);
        parent.SetTag("gen_ai.request.top_p", request.Sampling.TopP);
        parent.SetTag("gen_ai.usage.input_tokens", active.Request.PromptCount);
        if (usage != null) parent.SetTag("gen_ai.usage.output_tokens", usage.CompletionTokens);
        if (usage != null && usage.CachedPromptTokens > 0) parent.SetTag("wafer.usage.cached_input_tokens", usage.CachedPromptTokens);
        parent.SetTag("gen_ai.response.finish_reasons", new[] { reason?.ToString().ToLowerInvariant() ?? (error != null ? "error" : "cancelled") });
        if (error != null) parent.SetStatus(ActivityStatusCode.Error, error.Message);

        long scheduled = active.FirstScheduledTimestamp != 0 ? active.FirstScheduledTimestamp : end;
        long first = active.FirstTokenTimestamp != 0 ? active.FirstTokenTimestamp : end;
        Span("wafer.queue", parent, Time(active.ArrivalTimestamp), Time(scheduled), null);
        Span("wafer.prefill", parent, Time(scheduled), Time(first), a =>
        {
            a.SetTag("wafer.prompt_tokens", active.Request.PromptCount);
            foreach (var (at, tokens) in active.TraceChunks ?? [])
                a.AddEvent(new ActivityEvent("chunk", Time(at), new ActivityTagsCollection { ["wafer.chunk_tokens"] = tokens }));
        });
        if (active.FirstTokenTimestamp != 0)
            Span("wafer.decode", parent, Time(first), wall, a => a.SetTag("wafer.output_tokens", usage?.CompletionTokens ?? 0));
    }

    private static void Span(string name, Activity parent, DateTimeOffset start, DateTimeOffset end, Action<Activity>? fill)
    {
        using var span = Source.StartActivity(name, ActivityKind.Internal, parent.Context, startTime: start);
        if (span == null) return;
        fill?.Invoke(span);
        span.SetEndTime(end.UtcDateTime);
    }
}
