namespace Wafer.Engine.Commands;

/// <summary>The caller gave up on request <paramref name="Id"/> (cancelled or stopped reading); unknown ids are ignored.</summary>
internal sealed record CancelCommand(long Id) : EngineCommand;
