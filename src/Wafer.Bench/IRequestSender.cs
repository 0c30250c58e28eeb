namespace Wafer.Bench;

/// <summary>Sends one benchmark request and measures it; never throws for a failed request (the failure is in the record).</summary>
internal interface IRequestSender
{
    /// <summary>Sends <paramref name="request"/>; <paramref name="levelStartTimestamp"/> (a <see cref="TimeProvider"/> timestamp) anchors the record's start time.</summary>
    Task<RequestRecord> SendAsync(BenchRequest request, long levelStartTimestamp, CancellationToken cancellationToken);
}
