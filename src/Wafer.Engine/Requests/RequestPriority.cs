namespace Wafer.Engine.Requests;

/// <summary>Scheduling class of a request: higher classes are scheduled first and preempted last.</summary>
public enum RequestPriority
{
    /// <summary>Interactive traffic.</summary>
    High = 0,

    /// <summary>The default.</summary>
    Normal = 1,

    /// <summary>Batch traffic that yields to everything else.</summary>
    Low = 2,
}
