using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Wafer.Router.Forwarding;
using Wafer.Router.Hosting;

namespace Wafer.Router.Backends;

/// <summary>Probes every backend's GET /health on an interval, through its circuit breaker.</summary>
/// <remarks>
/// A failed probe takes a backend out of rotation at once; a passing one puts it back. As
/// probes run through the breaker, the first probe after the break duration is the half-open
/// trial that closes the breaker of a recovered backend.
/// </remarks>
internal sealed class HealthProber(RouterContext context)
{
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var state = context.State;
            var health = state.Config.Health;
            if (health.ProbeIntervalMs <= 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), context.Time, ct).ConfigureAwait(false);
                continue;
            }
            await Task.WhenAll(state.Backends.Values.Select(b => ProbeAsync(b, TimeSpan.FromMilliseconds(health.ProbeTimeoutMs), ct))).ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromMilliseconds(health.ProbeIntervalMs), context.Time, ct).ConfigureAwait(false);
        }
    }

    internal async Task ProbeAsync(Backend backend, TimeSpan timeout, CancellationToken ct)
    {
        bool healthy;
        try
        {
            await backend.Pipeline.ExecuteAsync(async token =>
            {
                using var cts = new CancellationTokenSource(timeout, context.Time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, cts.Token);
                try
                {
                    using var response = await context.Client.GetAsync(new Uri(backend.BaseUri, "health"), linked.Token).ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode)
                        throw new UpstreamException($"backend '{backend.Name}' /health answered {(int)response.StatusCode}", (int)response.StatusCode, true, true);
                }
                catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !token.IsCancellationRequested))
                {
                    throw new UpstreamException($"backend '{backend.Name}' /health failed: {e.Message}", 502, true, true, e);
                }
            }, ct).ConfigureAwait(false);
            healthy = true;
        }
        catch (BrokenCircuitException)
        {
            return; // still resting after an ejection; the breaker decides when to try again
        }
        catch (UpstreamException)
        {
            healthy = false;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        if (backend.ProbeHealthy != healthy)
        {
            backend.ProbeHealthy = healthy;
            RouterLog.ProbeChanged(context.Logger, backend.Name, healthy ? "healthy again" : "unhealthy, out of rotation");
        }
    }
}
