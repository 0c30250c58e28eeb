using System.Threading.Channels;
using Wafer.Engine.Requests;

namespace Wafer.Engine.Execution;

/// <summary>The engine loop's view of one request: its state, where its events go, its text and its timings.</summary>
internal sealed class ActiveRequest(EngineRequest request, ChannelWriter<TokenEvent> events, OutputText text, long arrivalTimestamp)
{
    public EngineRequest Request { get; } = request;
    public ChannelWriter<TokenEvent> Events { get; } = events;
    public OutputText Text { get; } = text;
    public long ArrivalTimestamp { get; } = arrivalTimestamp;
    public long FirstScheduledTimestamp { get; set; }
    public long LastTokenTimestamp { get; set; }
}
