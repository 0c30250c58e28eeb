using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Wafer.Router.Hosting;

/// <summary>GET /health and GET /v1/models, answered by the router itself.</summary>
internal static class InfoEndpoints
{
    /// <summary>200 while at least one backend takes traffic, else 503; lists every backend's state.</summary>
    public static async Task HealthAsync(HttpContext http, RouterContext context)
    {
        var state = context.State;
        bool any = state.Backends.Values.Any(b => b.IsAvailable);
        http.Response.StatusCode = any ? 200 : 503;
        http.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(http.Response.Body);
        w.WriteStartObject();
        w.WriteString("status", any ? "ok" : "no_backend_available");
        w.WriteStartArray("backends");
        foreach (var b in state.Backends.Values)
        {
            w.WriteStartObject();
            w.WriteString("name", b.Name);
            w.WriteString("url", b.Config.Url);
            w.WriteBoolean("available", b.IsAvailable);
            w.WriteBoolean("probe_healthy", b.ProbeHealthy);
            w.WriteString("circuit", b.Circuit.ToString());
            w.WriteNumber("outstanding", b.Outstanding);
            w.WriteNumber("tokens_in_flight", b.TokensInFlight);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (context.Discovery?.Status() is { Count: > 0 } groups)
        {
            w.WriteStartArray("discovery");
            foreach (var g in groups)
            {
                w.WriteStartObject();
                w.WriteString("name", g.Name);
                w.WriteString("source", g.Source);
                w.WriteBoolean("known", g.Known);
                w.WriteNumber("replicas", g.Replicas);
                w.WriteNumber("changes", g.Changes);
                if (g.LastError != null) w.WriteString("error", g.LastError);
                else w.WriteNull("error");
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
        await w.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The routed models, OpenAI list format.</summary>
    public static async Task ModelsAsync(HttpContext http, RouterContext context)
    {
        var state = context.State;
        http.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(http.Response.Body);
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        foreach (var route in state.Routes.Values)
        {
            w.WriteStartObject();
            w.WriteString("id", route.Config.Model);
            w.WriteString("object", "model");
            w.WriteNumber("created", 0);
            w.WriteString("owned_by", "wafer-router");
            w.WriteString("policy", route.Config.Policy);
            w.WriteStartArray("backends");
            foreach (var b in route.Backends) w.WriteStringValue(b.Name);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        await w.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }
}
