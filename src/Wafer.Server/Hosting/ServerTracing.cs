using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Wafer.Server.Hosting;

/// <summary>The spans of <c>wafer serve</c>, exported when <see cref="Wafer.OpenAi.Hosting.HostTracing"/> turns tracing on
/// (the <c>OTEL_*</c> variables, or <see cref="ServerOptions.ConfigureTracing"/>). Spans: the HTTP request (ASP.NET Core's, continuing a W3C
/// <c>traceparent</c>), a GenAI span per generation named "{operation} {model}" with the OpenTelemetry GenAI attributes, and
/// under it the engine's queue, prefill (one event per chunk) and decode spans (<see cref="Engine.Telemetry.EngineTracing"/>).</summary>
public static class ServerTracing
{
    public const string SourceName = "Wafer.Server";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>The GenAI span of one generation request, current for the rest of the calling endpoint (so the engine's spans
    /// go under it), or null when nothing listens or the path is no generation.</summary>
    internal static Activity? StartGeneration(HttpContext http, string model)
    {
        string? operation = http.Request.Path.Value switch
        {
            "/v1/chat/completions" or "/v1/messages" or "/v1/responses" => "chat",
            "/v1/completions" => "text_completion",
            "/v1/embeddings" => "embeddings",
            _ => null,
        };
        if (operation == null || !Source.HasListeners()) return null;
        var activity = Source.StartActivity($"{operation} {model}", ActivityKind.Internal);
        activity?.SetTag("gen_ai.operation.name", operation);
        activity?.SetTag("gen_ai.provider.name", "wafer");
        activity?.SetTag("gen_ai.request.model", model);
        activity?.SetTag("gen_ai.response.model", model);
        return activity;
    }
}
