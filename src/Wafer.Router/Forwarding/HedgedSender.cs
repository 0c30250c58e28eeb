using Wafer.Router.Backends;
using Wafer.Router.Hosting;
using Wafer.Router.Policies;

namespace Wafer.Router.Forwarding;

/// <summary>Gets one ready answer for a request from a pool of backends, with retries and hedging.</summary>
/// <remarks>
/// Step 1: the policy picks a backend among the available ones not tried yet.
/// Step 2: the attempt runs; if the route hedges and no first token came within the hedge delay, a second backend gets the same request (hedge budget permitting).
/// Step 3: the first attempt to be ready wins; the other is cancelled at once.
/// Step 4: if every attempt failed retryably, go back to step 1 while attempts and the retry budget last; the failure finally thrown carries the shortest Retry-After any backend gave.
/// Nothing reaches the client here, so every failure is still retryable.
/// </remarks>
internal sealed class HedgedSender(RouterContext context)
{
    public async Task<Attempt> SendAsync(RouteState route, IReadOnlyList<Backend> pool, IRoutingPolicy policy, RouterRequest request,
        ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        route.Retries.Deposit();
        route.Hedges?.Deposit();
        var routing = new RoutingContext(request.PromptPrefix.Length > route.Config.PrefixChars ? request.PromptPrefix[..route.Config.PrefixChars] : request.PromptPrefix, request.EstimatedTokens);
        var tried = new List<Backend>(2);
        UpstreamException? last = null;
        TimeSpan? retryAfter = null; // the shortest Retry-After any backend tried gave
        for (int attempt = 0; attempt < route.Config.MaxAttempts; attempt++)
        {
            // Step 1
            var backend = Pick(pool, policy, routing, tried);
            if (backend == null) break;
            if (attempt > 0)
            {
                if (!route.Retries.TryWithdraw()) break;
                context.Metrics.Retries.Add(1, RouterMetrics.Tag("route", route.Config.Model));
            }
            try
            {
                return await RaceAsync(route, pool, policy, routing, backend, tried, request, body, ct).ConfigureAwait(false);
            }
            catch (UpstreamException e) when (e.Retryable && !ct.IsCancellationRequested)
            {
                // Step 4
                RouterLog.AttemptFailed(context.Logger, e.Message);
                retryAfter = BackendRetryAfter.Min(retryAfter, e.RetryAfter);
                last = e;
            }
        }
        if (last == null) throw new UpstreamException($"no backend of model '{request.Model}' is available; check GET /health", 503, false, false);
        last.RetryAfter = retryAfter;
        throw last;
    }

    private async Task<Attempt> RaceAsync(RouteState route, IReadOnlyList<Backend> pool, IRoutingPolicy policy, RoutingContext routing,
        Backend backend, List<Backend> tried, RouterRequest request, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        // Step 2
        tried.Add(backend);
        var (primary, primaryTask) = Start(route, backend, request, body, ct, isHedge: false);
        if (route.Config.Hedging == null) return Won(route, await primaryTask.ConfigureAwait(false));
        using (var delay = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            var timer = Task.Delay(route.HedgeDelay(), context.Time, delay.Token);
            var first = await Task.WhenAny(primaryTask, timer).ConfigureAwait(false);
            delay.Cancel();
            if (first == primaryTask || ct.IsCancellationRequested) return Won(route, await primaryTask.ConfigureAwait(false));
        }
        var second = Pick(pool, policy, routing, tried);
        if (second == null || !route.Hedges!.TryWithdraw()) return Won(route, await primaryTask.ConfigureAwait(false));
        tried.Add(second);
        context.Metrics.HedgesSent.Add(1, RouterMetrics.Tag("route", route.Config.Model));
        var (hedge, hedgeTask) = Start(route, second, request, body, ct, isHedge: true);

        // Step 3
        var pending = new List<(Attempt Attempt, Task<Attempt> Task)> { (primary, primaryTask), (hedge, hedgeTask) };
        Exception? failure = null;
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending.Select(p => p.Task)).ConfigureAwait(false);
            int index = pending.FindIndex(p => p.Task == done);
            pending.RemoveAt(index);
            if (done.IsCompletedSuccessfully)
            {
                foreach (var (loser, task) in pending)
                {
                    loser.Cancel();
                    _ = task.ContinueWith(t => t.IsCompletedSuccessfully ? t.Result.DisposeAsync().AsTask() : Task.FromResult(t.Exception), // observed: a loser's failure is expected
                        CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
                if (done.Result.IsHedge) context.Metrics.HedgesWon.Add(1, RouterMetrics.Tag("route", route.Config.Model));
                return Won(route, done.Result);
            }
            var error = done.Exception!.InnerException!;
            if (failure is UpstreamException first && error is UpstreamException other) first.RetryAfter = BackendRetryAfter.Min(first.RetryAfter, other.RetryAfter);
            failure ??= error;
        }
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure!);
        throw failure!;
    }

    private (Attempt, Task<Attempt>) Start(RouteState route, Backend backend, RouterRequest request, ReadOnlyMemory<byte> body, CancellationToken ct, bool isHedge)
    {
        context.Metrics.UpstreamRequests.Add(1, RouterMetrics.Tag("backend", backend.Name));
        var attempt = new Attempt(backend, request.EstimatedTokens, context.Time, ct) { IsHedge = isHedge };
        return (attempt, attempt.RunAsync(context.Client, request, body, TimeSpan.FromMilliseconds(route.Config.FirstTokenTimeoutMs)));
    }

    private static Attempt Won(RouteState route, Attempt winner)
    {
        if (!winner.IsClientError) route.TimeToFirstToken.Add(winner.ReadyMs);
        return winner;
    }

    /// <summary>The policy's pick among available, untried backends; if none is available, any untried one (better a doubtful backend than none).</summary>
    private static Backend? Pick(IReadOnlyList<Backend> pool, IRoutingPolicy policy, RoutingContext routing, List<Backend> tried)
    {
        var available = pool.Where(b => b.IsAvailable && !tried.Contains(b)).ToList();
        if (available.Count == 0) available = [.. pool.Where(b => !tried.Contains(b))];
        return available.Count == 0 ? null : policy.PickDestination(routing, available) ?? available[0];
    }
}
