using Microsoft.AspNetCore.Http;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Wafer.OpenAi.Hosting;

/// <summary>OpenTelemetry tracing of a Wafer host (<c>wafer serve</c>, <c>wafer route</c>), off unless configured: by the
/// standard variables (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> set, or
/// <c>OTEL_TRACES_EXPORTER</c> naming otlp; never with <c>OTEL_SDK_DISABLED=true</c>), which add the OTLP exporter, or by
/// the host adding its own exporter (tests' in-memory one). Traces the host's sources and ASP.NET Core's HTTP spans
/// (continuing a W3C <c>traceparent</c>), not <c>/metrics</c> or <c>/health</c>.</summary>
public static class HostTracing
{
    /// <summary>Whether the environment asks for OTLP trace export.</summary>
    public static bool Configured(Func<string, string?> env)
    {
        if (string.Equals(env("OTEL_SDK_DISABLED"), "true", StringComparison.OrdinalIgnoreCase)) return false;
        if (env("OTEL_TRACES_EXPORTER") is { } exporter && exporter.Split(',').Any(e => e.Trim() == "otlp")) return true;
        return !string.IsNullOrWhiteSpace(env("OTEL_EXPORTER_OTLP_ENDPOINT")) || !string.IsNullOrWhiteSpace(env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
    }

    /// <summary>Adds tracing of <paramref name="sources"/> to <paramref name="telemetry"/> when the environment or
    /// <paramref name="host"/> asks for it; the service is <paramref name="serviceName"/> unless <c>OTEL_SERVICE_NAME</c> names one.</summary>
    public static void Add(OpenTelemetryBuilder telemetry, string serviceName, Action<TracerProviderBuilder>? host, params string[] sources)
    {
        bool otlp = Configured(Environment.GetEnvironmentVariable);
        if (!otlp && host == null) return;
        if (Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") is not { Length: > 0 })
            telemetry.ConfigureResource(r => r.AddService(serviceName));
        telemetry.WithTracing(tracing =>
        {
            tracing.AddSource(sources)
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/metrics") && !http.Request.Path.StartsWithSegments("/health"));
            if (otlp) tracing.AddOtlpExporter();
            host?.Invoke(tracing);
        });
    }
}
