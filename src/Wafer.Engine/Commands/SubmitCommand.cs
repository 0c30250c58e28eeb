using Wafer.Engine.Requests;

namespace Wafer.Engine.Commands;

/// <summary>A new, already validated generation: its id, request, stream and arrival time (<see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
internal sealed record SubmitCommand(long Id, GenerationRequest Request, GenerationStream Stream, long ArrivalTimestamp) : EngineCommand;
