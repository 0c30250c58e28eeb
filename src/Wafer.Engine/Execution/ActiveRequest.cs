using Wafer.Engine.Requests;

namespace Wafer.Engine.Execution;

/// <summary>The engine loop's view of one request: its state, where its events go (its stream), its text and its timings.</summary>
internal sealed class ActiveRequest(EngineRequest request, GenerationStream stream, OutputText text, long arrivalTimestamp)
{
    public EngineRequest Request { get; } = request;
    public GenerationStream Stream { get; } = stream;
    public OutputText Text { get; } = text;
    public long ArrivalTimestamp { get; } = arrivalTimestamp;
    public long FirstScheduledTimestamp { get; set; }
    public long LastTokenTimestamp { get; set; }
    public long FirstTokenTimestamp { get; set; }

    /// <summary>The activity the request was submitted in, when traced; then <see cref="TraceChunks"/> collects its chunks.</summary>
    public System.Diagnostics.Activity? Trace { get; init; }

    /// <summary>(when it was scheduled, tokens) of each prefill chunk, for the trace; null when not traced.</summary>
    public List<(long Timestamp, int Tokens)>? TraceChunks { get; init; }
}
