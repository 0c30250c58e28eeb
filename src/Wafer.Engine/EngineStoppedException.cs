namespace Wafer.Engine;

/// <summary>The engine is stopping or stopped and takes no new work (the HTTP edge answers 503).</summary>
public sealed class EngineStoppedException(string message) : InvalidOperationException(message);
