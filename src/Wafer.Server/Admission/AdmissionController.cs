using System.Globalization;
using Wafer.Server.Api;

namespace Wafer.Server.Admission;

/// <summary>Bounds the requests the server holds: at most max-seqs running plus max-queue waiting, and a bound
/// on waiting prompt tokens. Beyond that a request gets 429 with a Retry-After estimated from the backlog.</summary>
/// <remarks>
/// Retry-After = ceil(rounds × mean), clamped to 1–300 s, where rounds = ceil(ahead / max-running) with
/// ahead = admitted − max-running + 1 (the requests that must finish before a refused one would get a slot,
/// at least 1), and mean is an exponential moving average (weight 0.1 per finished request, from admission
/// to end, on the injected clock) of how long admitted requests took, starting at 1 s before any finished.
/// </remarks>
public sealed class AdmissionController(int maxRunning, int maxQueue, long maxQueueTokens, TimeProvider time)
{
    /// <summary>The mean request duration assumed before any request finished, in seconds.</summary>
    public const double InitialMeanSeconds = 1.0;

    /// <summary>Weight of each finished request in the moving average of durations.</summary>
    public const double MeanWeight = 0.1;

    /// <summary>Longest Retry-After the controller gives, in seconds.</summary>
    public const int MaxRetryAfterSeconds = 300;

    private readonly object _gate = new();
    private int _admitted;
    private long _pendingTokens;
    private double _meanSeconds = InitialMeanSeconds;

    /// <summary>A controller on the system clock.</summary>
    public AdmissionController(int maxRunning, int maxQueue, long maxQueueTokens)
        : this(maxRunning, maxQueue, maxQueueTokens, TimeProvider.System)
    {
    }

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
                int ahead = Ahead();
                int seconds = RetryAfterSeconds(ahead);
                string basis = string.Create(CultureInfo.InvariantCulture,
                    $"{ahead} request(s) ahead, served {maxRunning} at a time, recent mean {_meanSeconds:0.000} s per request");
                throw new ApiException(429, $"the server is overloaded: {what}; retry after {seconds} s ({basis})", "rate_limit_error", code: "server_overloaded")
                {
                    RetryAfterSeconds = seconds,
                };
            }
            _admitted++;
            _pendingTokens += promptTokens;
            return new Lease(this, promptTokens, time.GetTimestamp());
        }
    }

    /// <summary>Requests that must finish before a refused one would get a slot (at least 1).</summary>
    private int Ahead() => Math.Max(1, _admitted - maxRunning + 1);

    /// <summary>Seconds until a slot is likely free: the queue ahead, drained max-running at a time at the recent mean duration.</summary>
    private int RetryAfterSeconds(int ahead)
    {
        double seconds = _meanSeconds * Math.Ceiling((double)ahead / maxRunning);
        return (int)Math.Clamp(Math.Ceiling(seconds), 1, MaxRetryAfterSeconds);
    }

    private void Started(long promptTokens)
    {
        lock (_gate) _pendingTokens -= promptTokens;
    }

    private void Finished(long admittedAt, bool started, long promptTokens)
    {
        double seconds = time.GetElapsedTime(admittedAt).TotalSeconds;
        lock (_gate)
        {
            _admitted--;
            if (!started) _pendingTokens -= promptTokens;
            _meanSeconds = (1 - MeanWeight) * _meanSeconds + MeanWeight * seconds;
        }
    }

    /// <summary>An admitted request's slot; <see cref="MarkStarted"/> when its first token arrives, dispose when it ends.</summary>
    public sealed class Lease(AdmissionController owner, long promptTokens, long admittedAt) : IDisposable
    {
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
            owner.Finished(admittedAt, _started, promptTokens);
        }
    }
}
