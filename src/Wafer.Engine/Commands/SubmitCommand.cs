using Wafer.Engine.Requests;

namespace Wafer.Engine.Commands;

/// <summary>A new, already validated generation: its id, request, stream and arrival time (<see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
/// <param name="Trace">The activity it was submitted in, when the engine's spans have a listener (<see cref="Telemetry.EngineTracing"/>).</param>
internal sealed record SubmitCommand(long Id, GenerationRequest Request, GenerationStream Stream, long ArrivalTimestamp, System.Diagnostics.Activity? Trace = null) : EngineCommand;
