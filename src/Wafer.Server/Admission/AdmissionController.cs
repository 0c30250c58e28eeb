using System.Diagnostics;
using Wafer.Server.Api;

namespace Wafer.Server.Admission;

/// <summary>Bounds the requests the server holds: at most max-seqs running plus max-queue waiting, and a bound
/// on waiting prompt tokens. Beyond that a request gets 429 with a Retry-After estimated from the backlog.</summary>
public sealed class AdmissionController(int maxRunning, int maxQueue, long maxQueueTokens)
{
    private readonly object _gate = new();
    private int _admitted;
    private long _pendingTokens;
    private double _averageSeconds = 1.0; // moving average of admitted requests' durations

    /// <summary>Requests admitted and not yet finished.</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Admits a request with <paramref name="promptTokens"/> prompt tokens, or throws a 429 <see cref="ApiException"/>.</summary>
    public Lease Admit(int promptTokens)
    {
        lock (_gate)
        {
            bool requestsFull = _admitted >= maxRunning + maxQueue;
            bool tokensFull = _admitted >= maxRunning && _pendingTokens + promptTokens > maxQueueTokens;
            if (requestsFull || tokensFull)
            {
                string what = requestsFull ? $"{_admitted} requests are in progress or queued (limit {maxRunning + maxQueue})"
                    : $"{_pendingTokens} prompt tokens are queued (limit {maxQueueTokens})";
                throw new ApiException(429, $"the server is overloaded: {what}; retry after the Retry-After delay", "rate_limit_error", code: "server_overloaded")
                {
                    RetryAfterSeconds = RetryAfterSeconds(),
                };
            }
            _admitted++;
            _pendingTokens += promptTokens;
            return new Lease(this, promptTokens);
        }
    }

    /// <summary>Seconds until a slot is likely free: the queue ahead, drained max-running at a time at the recent request duration.</summary>
    private int RetryAfterSeconds()
    {
        int ahead = Math.Max(1, _admitted - maxRunning + 1);
        double seconds = _averageSeconds * Math.Ceiling((double)ahead / maxRunning);
        return (int)Math.Clamp(Math.Ceiling(seconds), 1, 300);
    }

    private void Started(long promptTokens)
    {
        lock (_gate) _pendingTokens -= promptTokens;
    }

    private void Finished(double seconds, bool started, long promptTokens)
    {
        lock (_gate)
        {
            _admitted--;
            if (!started) _pendingTokens -= promptTokens;
            _averageSeconds = 0.9 * _averageSeconds + 0.1 * seconds;
        }
    }

    /// <summary>An admitted request's slot; <see cref="MarkStarted"/> when its first token arrives, dispose when it ends.</summary>
    public sealed class Lease(AdmissionController owner, long promptTokens) : IDisposable
    {
        private readonly long _start = Stopwatch.GetTimestamp();
        private bool _started;
        private bool _disposed;

        public void MarkStarted()
        {
            if (_started) return;
            _started = true;
            owner.Started(promptTokens);
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            owner.Finished(Stopwatch.GetElapsedTime(_start).TotalSeconds, _started, promptTokens);
        }
    }
}
