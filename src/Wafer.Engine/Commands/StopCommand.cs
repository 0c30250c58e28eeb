namespace Wafer.Engine.Commands;

/// <summary>Stop the loop: at once when <paramref name="CancelInFlight"/> (requests in flight fail), else once they have finished.</summary>
internal sealed record StopCommand(bool CancelInFlight) : EngineCommand;
