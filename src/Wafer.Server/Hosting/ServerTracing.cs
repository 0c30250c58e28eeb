using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Trace;

namespace Wafer.Server.Hosting;

/// <summary>OpenTelemetry tracing of <c>wafer serve</c>, off unless configured: the standard <c>OTEL_*</c> variables
/// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>, or <c>OTEL_TRACES_EXPORTER=otlp</c>;
/// <c>OTEL_SERVICE_NAME</c>, <c>OTEL_SDK_DISABLED</c>) turn on the OTLP exporter; an in-process host can add its own
/// exporter with <see cref="ServerOptions.ConfigureTracing"/>. Spans: the HTTP request (ASP.NET Core's, continuing a W3C
/// <c>traceparent</c>), a GenAI span per generation named "{operation} {model}" with the OpenTelemetry GenAI attributes, and
/// under it the engine's queue, prefill (one event per chunk) and decode spans (<see cref="Engine.Telemetry.EngineTracing"/>).</summary>
public static class ServerTracing
{
    public const string SourceName = "Wafer.Server";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>True when the environment configures an exporter and does not disable the SDK.</summary>
    public static bool Configured(Func<string, string?> env) => Wafer.OpenAi.Hosting.TracingEnvironment.Configured(env);

    /// <summary>The sources, instrumentation and exporter of a server's tracer provider.</summary>
    internal static void Configure(TracerProviderBuilder tracing, ServerOptions options, bool otlp)
    {
        tracing.AddSource(SourceName, Engine.Telemetry.EngineTracing.SourceName)
            .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/metrics") && !http.Request.Path.StartsWithSegments("/health"));
        if (otlp) tracing.AddOtlpExporter();
        options.ConfigureTracing?.Invoke(tracing);
    }

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
