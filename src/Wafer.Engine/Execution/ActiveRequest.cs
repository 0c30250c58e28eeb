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
}
