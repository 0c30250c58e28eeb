using Polly;
using Polly.CircuitBreaker;
using Wafer.Router.Configuration;
using Wafer.Router.Forwarding;

namespace Wafer.Router.Backends;

/// <summary>One backend's live state: work in flight, probe health and its circuit breaker.</summary>
/// <remarks>
/// A backend takes traffic while its last probe succeeded and its breaker is closed. Calls
/// and probes both run through the breaker, so after an ejection the first probe past the
/// break duration is the half-open trial, and a healthy answer closes the breaker again.
/// </remarks>
public sealed class Backend
{
    private readonly CircuitBreakerStateProvider _breakerState = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _breakDuration;
    private readonly bool _probing;
    private readonly Action<Backend>? _onEjected;
    private int _outstanding;
    private long _tokensInFlight;
    private long _openedAtTicks;

    internal Backend(BackendConfig config, HealthConfig health, TimeProvider time, Action<Backend>? onEjected = null, Action<Backend>? onRecovered = null)
    {
        Config = config;
        _onEjected = onEjected;
        _time = time;
        _breakDuration = TimeSpan.FromMilliseconds(health.BreakMs);
        _probing = health.ProbeIntervalMs > 0;
        BaseUri = new Uri(config.Url.TrimEnd('/') + "/");
        Pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = health.FailureRatio,
                MinimumThroughput = health.MinimumThroughput,
                SamplingDuration = TimeSpan.FromMilliseconds(health.SamplingWindowMs),
                BreakDuration = _breakDuration,
                StateProvider = _breakerState,
                ShouldHandle = new PredicateBuilder().Handle<UpstreamException>(e => e.CountsAsFailure),
                OnOpened = _ =>
                {
                    Interlocked.Exchange(ref _openedAtTicks, _time.GetTimestamp());
                    onEjected?.Invoke(this);
                    return default;
                },
                OnClosed = _ =>
                {
                    onRecovered?.Invoke(this);
                    return default;
                },
            })
            .Build();
    }

    /// <summary>The configuration this state belongs to.</summary>
    public BackendConfig Config { get; }

    /// <summary>The backend's name.</summary>
    public string Name => Config.Name;

    /// <summary>Base address ending in '/'.</summary>
    public Uri BaseUri { get; }

    /// <summary>Requests sent and not yet finished.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>Estimated tokens (prompt + max_tokens) of the requests in flight.</summary>
    public long TokensInFlight => Interlocked.Read(ref _tokensInFlight);

    /// <summary>Whether the last active probe succeeded (true until the first probe).</summary>
    public bool ProbeHealthy { get; internal set; } = true;

    /// <summary>The breaker's state: Closed (taking traffic), Open (ejected), HalfOpen (on trial).</summary>
    public CircuitState Circuit => _breakerState.CircuitState;

    /// <summary>Whether policies may pick this backend now.</summary>
    public bool IsAvailable => ProbeHealthy && Circuit switch
    {
        CircuitState.Closed => true,
        // Without probes, the next real request is the trial once the break has passed.
        CircuitState.Open or CircuitState.HalfOpen => !_probing && _time.GetElapsedTime(Interlocked.Read(ref _openedAtTicks)) >= _breakDuration,
        _ => false,
    };

    /// <summary>Open requests plus tokens in flight (512 tokens count as one request), per unit of weight.</summary>
    public double Load => (Outstanding + TokensInFlight / 512.0) / Config.Weight;

    /// <summary>The circuit breaker every call and probe runs through.</summary>
    internal ResiliencePipeline Pipeline { get; }

    /// <summary>Passive ejection: a refused connection takes the backend out of rotation until a probe passes again (only while probing, which brings it back).</summary>
    internal void MarkUnreachable()
    {
        if (!_probing || !ProbeHealthy) return;
        ProbeHealthy = false;
        _onEjected?.Invoke(this);
    }

    /// <summary>Counts a request as in flight until the returned lease is disposed.</summary>
    internal Lease Begin(long estimatedTokens)
    {
        Interlocked.Increment(ref _outstanding);
        Interlocked.Add(ref _tokensInFlight, estimatedTokens);
        return new Lease(this, estimatedTokens);
    }

    /// <summary>Ends one in-flight request exactly once.</summary>
    internal sealed class Lease(Backend backend, long tokens) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            Interlocked.Decrement(ref backend._outstanding);
            Interlocked.Add(ref backend._tokensInFlight, -tokens);
        }
    }
}
