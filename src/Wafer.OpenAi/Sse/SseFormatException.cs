namespace Wafer.OpenAi.Sse;

/// <summary>A server-sent-events stream that cannot be read as text: an event's data is not valid UTF-8.</summary>
public sealed class SseFormatException(string message) : FormatException(message);
