using System.Globalization;
using Microsoft.AspNetCore.Http;
using Wafer.Router.Backends;
using Wafer.Router.Forwarding;
using Wafer.Router.Hosting;

namespace Wafer.Router.Cascade;

/// <summary>Answers from the cheapest tier whose answer passes the checks, escalating tier by tier.</summary>
/// <remarks>
/// Step 1: ask the backend for logprobs (and usage when streaming) in addition to what the client asked.
/// Step 2: for each tier, cheapest first: get a ready answer from the tier's backends (retries and hedging apply within the tier).
/// Step 3: non-streaming, check the whole answer; streaming, read the first K tokens (buffered, nothing sent yet) and check those.
/// Step 4: a failing answer is dropped (its connection closed) and the next tier is asked; the last tier's answer is returned whatever it is.
/// Step 5: the answer goes out with x-wafer-tier and x-wafer-cost (the sum over every tier asked); streamed answers then continue as they arrive.
/// </remarks>
internal sealed class CascadeForwarder(RouterContext context, HedgedSender sender)
{
    public async Task ForwardAsync(HttpContext http, RouteState route, RouterRequest request, long arrived)
    {
        // Step 1
        byte[] body = CascadeBody.For(request);
        var ct = http.RequestAborted;
        double cost = 0;
        var tiers = route.Tiers;
        if (tiers.Count == 0) throw new UpstreamException($"no backend of model '{request.Model}' is available (its discovered groups have no replicas yet); check GET /health", 503, false, false);
        for (int i = 0; i < tiers.Count; i++)
        {
            var tier = tiers[i];
            bool last = i == tiers.Count - 1;
            var tierTag = RouterMetrics.Tag("tier", tier.Level.ToString(CultureInfo.InvariantCulture));
            Attempt answer;
            // Step 2
            try
            {
                // The tier's span: getting its answer ready (its attempts are children).
                using var span = Hosting.RouterTracing.Source.StartActivity($"cascade tier {tier.Level}");
                span?.SetTag("wafer.tier", tier.Level);
                span?.SetTag("wafer.last_tier", last);
                answer = await sender.SendAsync(route, tier.Backends, tier.Policy, request, body, ct).ConfigureAwait(false);
            }
            catch (UpstreamException) when (!last && !ct.IsCancellationRequested)
            {
                context.Metrics.Escalations.Add(1, RouterMetrics.Tag("route", route.Config.Model), tierTag, RouterMetrics.Tag("reason", "error"));
                continue;
            }
            await using (answer)
            {
                // Step 3
                if (answer.IsClientError)
                {
                    await ResponseWriter.WriteAsync(http, answer, context, () => { }).ConfigureAwait(false);
                    return;
                }
                Chunk summary;
                if (request.Stream)
                {
                    await answer.ReadTokensAsync(route.Config.Cascade.StreamDecisionTokens, ct).ConfigureAwait(false);
                    summary = answer.Summary;
                }
                else summary = Completion.Parse(answer.Buffered.Span);
                cost += Cost(answer.Backend, summary, request, request.Stream ? answer.TokenEvents : summary.Logprobs.Count);
                string? failure = AnswerCheck.Failure(summary, request, route.Config.Cascade, answer.Complete || !request.Stream);

                // Step 4
                if (failure != null && !last)
                {
                    context.Metrics.Escalations.Add(1, RouterMetrics.Tag("route", route.Config.Model), tierTag, RouterMetrics.Tag("reason", failure));
                    continue;
                }

                // Step 5
                http.Response.Headers["x-wafer-tier"] = tier.Level.ToString(CultureInfo.InvariantCulture);
                http.Response.Headers["x-wafer-cost"] = cost.ToString("0.########", CultureInfo.InvariantCulture);
                if (failure != null) http.Response.Headers["x-wafer-cascade-check"] = failure;
                context.Metrics.Cost.Add(cost, RouterMetrics.Tag("route", route.Config.Model), tierTag);
                await ResponseWriter.WriteAsync(http, answer, context, () =>
                    context.Metrics.TimeToFirstToken.Record(context.Time.GetElapsedTime(arrived).TotalMilliseconds, RouterMetrics.Tag("route", route.Config.Model))).ConfigureAwait(false);
                return;
            }
        }
        throw new UpstreamException($"no tier of model '{request.Model}' answered", 502, false, false);
    }

    /// <summary>Prompt and completion tokens (from usage, else estimated) priced at the backend's rates.</summary>
    private static double Cost(Backend backend, Chunk answer, RouterRequest request, int tokensSeen)
    {
        double prompt = answer.PromptTokens ?? request.PromptChars / 4.0;
        double completion = answer.CompletionTokens ?? tokensSeen;
        return prompt / 1000 * backend.Config.CostPer1kInput + completion / 1000 * backend.Config.CostPer1kOutput;
    }
}
