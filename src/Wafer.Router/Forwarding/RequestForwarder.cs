using System.Globalization;
using Microsoft.AspNetCore.Http;
using Wafer.Router.Cascade;
using Wafer.Router.Hosting;
using Wafer.Router.Policies;

namespace Wafer.Router.Forwarding;

/// <summary>Handles POST /v1/chat/completions and /v1/completions: one client request, answered by one backend.</summary>
/// <remarks>
/// Step 1: read and parse the body; find the route for its model.
/// Step 2: apply the client key's rate limits (429 + Retry-After).
/// Step 3: cascade routes go to <see cref="CascadeForwarder"/>; others get one ready attempt from <see cref="HedgedSender"/> (retries, hedging).
/// Step 4: write the attempt to the client, streaming the rest as it arrives.
/// Step 5: record status, added latency and time to first token.
/// A 429/503 that no backend could avoid passes the shortest Retry-After the backends gave on (<see cref="BackendRetryAfter"/>).
/// </remarks>
internal sealed class RequestForwarder(RouterContext context)
{
    private const int MaxBodyBytes = 16 * 1024 * 1024;
    private readonly HedgedSender _sender = new(context);
    private readonly CascadeForwarder _cascade = new(context, new HedgedSender(context));

    public async Task ForwardAsync(HttpContext http)
    {
        long arrived = context.Time.GetTimestamp();
        var state = context.State;
        string model = "";
        try
        {
            // Step 1
            var request = RouterRequest.Parse(http.Request.Path.Value!, await ReadBodyAsync(http).ConfigureAwait(false));
            model = request.Model;
            if (!state.Routes.TryGetValue(request.Model, out var route))
                throw new RouterHttpException(404, $"model '{request.Model}' is not routed here; routed models: {string.Join(", ", state.Routes.Keys)}", "invalid_request_error", "model", "model_not_found");

            // Step 2
            if (state.RateLimiter is { } limiter && !limiter.TryAcquire(ClientKey(http), request.EstimatedTokens, out var wait))
            {
                context.Metrics.RateLimited.Add(1, RouterMetrics.Tag("route", route.Config.Model));
                int seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                throw new RouterHttpException(429, $"rate limit for this API key exceeded; retry after {seconds} s", "rate_limit_error", code: "rate_limit_exceeded") { RetryAfterSeconds = seconds };
            }

            // Step 3
            if (route.Config.Policy == RoutingPolicies.Cascade)
            {
                await _cascade.ForwardAsync(http, route, request, arrived).ConfigureAwait(false);
                return;
            }
            long sending = context.Time.GetTimestamp();
            await using var winner = await _sender.SendAsync(route, route.Backends, route.Policy, request, request.Body, http.RequestAborted).ConfigureAwait(false);
            long ready = context.Time.GetTimestamp();

            // Step 4
            await ResponseWriter.WriteAsync(http, winner, context, () =>
            {
                // Step 5
                long flushed = context.Time.GetTimestamp();
                var tag = RouterMetrics.Tag("route", route.Config.Model);
                context.Metrics.AddedLatency.Record((context.Time.GetElapsedTime(arrived, sending) + context.Time.GetElapsedTime(ready, flushed)).TotalMilliseconds, tag);
                context.Metrics.TimeToFirstToken.Record(context.Time.GetElapsedTime(arrived, flushed).TotalMilliseconds, tag);
            }).ConfigureAwait(false);
        }
        catch (RouterHttpException e)
        {
            await ErrorJson.WriteAsync(http, e.StatusCode, e.Message, e.Type, e.Param, e.Code, e.RetryAfterSeconds).ConfigureAwait(false);
        }
        catch (UpstreamException e)
        {
            int status = e.StatusCode is 429 or 503 or 504 ? e.StatusCode : 502;
            await ErrorJson.WriteAsync(http, status, $"no backend could answer: {e.Message}", "upstream_error", code: "upstream_unavailable",
                retryAfterSeconds: status is 429 or 503 ? BackendRetryAfter.Seconds(e.RetryAfter) : null).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; its attempts were cancelled with it.
        }
        finally
        {
            context.Metrics.Requests.Add(1, RouterMetrics.Tag("route", model), RouterMetrics.Tag("status", http.Response.StatusCode.ToString(CultureInfo.InvariantCulture)));
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContext http)
    {
        long? length = http.Request.ContentLength;
        if (length > MaxBodyBytes) throw new RouterHttpException(413, $"the request body is larger than {MaxBodyBytes / 1048576} MiB", "invalid_request_error");
        using var buffer = new MemoryStream(length is > 0 ? (int)length : 4096);
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted).ConfigureAwait(false);
        if (buffer.Length > MaxBodyBytes) throw new RouterHttpException(413, $"the request body is larger than {MaxBodyBytes / 1048576} MiB", "invalid_request_error");
        return buffer.ToArray();
    }

    /// <summary>The client's bearer key, or "anonymous".</summary>
    internal static string ClientKey(HttpContext http)
    {
        string? auth = http.Request.Headers.Authorization;
        return auth != null && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : "anonymous";
    }
}
