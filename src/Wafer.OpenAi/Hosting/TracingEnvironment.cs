namespace Wafer.OpenAi.Hosting;

/// <summary>Whether the standard OpenTelemetry variables ask for trace export: <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or
/// <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> set, or <c>OTEL_TRACES_EXPORTER</c> naming otlp; never with
/// <c>OTEL_SDK_DISABLED=true</c>. Server and router trace only then (or when a host adds an exporter itself).</summary>
public static class TracingEnvironment
{
    public static bool Configured(Func<string, string?> env)
    {
        if (string.Equals(env("OTEL_SDK_DISABLED"), "true", StringComparison.OrdinalIgnoreCase)) return false;
        if (env("OTEL_TRACES_EXPORTER") is { } exporter && exporter.Split(',').Any(e => e.Trim() == "otlp")) return true;
        return !string.IsNullOrWhiteSpace(env("OTEL_EXPORTER_OTLP_ENDPOINT")) || !string.IsNullOrWhiteSpace(env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
    }
}
