namespace Wafer.Engine.Adaptive;

/// <summary>What a request asks of the KV precision (the request field <c>quality</c>).</summary>
public enum KvQuality
{
    /// <summary>The server decides from its load (<see cref="AdaptivePolicy"/>): full precision unless under pressure.</summary>
    Auto,

    /// <summary>Always the full precision, even under pressure.</summary>
    Full,

    /// <summary>Always the reduced precision (a server started with <c>--adaptive</c> only).</summary>
    Fast,
}
