namespace Wafer.Engine.Requests;

/// <summary>Where a request is in its lifecycle: waiting → running → finished or cancelled; running → preempted → waiting.</summary>
public enum RequestStatus
{
    Waiting,
    Running,
    Preempted,
    Finished,
    Cancelled,
}
