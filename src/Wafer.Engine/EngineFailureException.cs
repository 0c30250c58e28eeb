namespace Wafer.Engine;

/// <summary>A step of the engine failed (not the request's fault): every request in flight ends with this error and the
/// engine goes on with the next ones. The HTTP edge answers 500, or an error event in a stream already started.</summary>
public sealed class EngineFailureException(string message, Exception inner) : Exception(message, inner);
