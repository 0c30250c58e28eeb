namespace Wafer.Engine.Commands;

/// <summary>A message to the engine thread. Each kind is its own type; the loop applies them between steps, in order.</summary>
internal abstract record EngineCommand;
