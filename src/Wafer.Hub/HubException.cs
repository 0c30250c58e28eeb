namespace Wafer.Hub;

/// <summary>A model could not be found, listed or downloaded; the message is one line that says what to do.</summary>
public sealed class HubException(string message, Exception? inner = null) : Exception(message, inner);
