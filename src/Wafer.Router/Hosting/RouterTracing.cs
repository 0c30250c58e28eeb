using System.Diagnostics;

namespace Wafer.Router.Hosting;

/// <summary>OpenTelemetry tracing of <c>wafer route</c>, off unless the <c>OTEL_*</c> variables configure an exporter
/// (<see cref="Wafer.OpenAi.Hosting.HostTracing"/>) or a host adds one (<see cref="RouterOptions.ConfigureTracing"/>).
/// Spans: the client's HTTP request (continuing its <c>traceparent</c>), one <c>cascade tier N</c> span per tier asked, and
/// one <c>attempt BACKEND</c> client span per request sent to a backend (primary, retry or hedge, with
/// <c>wafer.hedge</c>), whose context goes to the backend as its <c>traceparent</c>, so the replica's spans hang under it.</summary>
public static class RouterTracing
{
    public const string SourceName = "Wafer.Router";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>Writes the current activity's context into <paramref name="message"/> as W3C trace context.</summary>
    internal static void Inject(HttpRequestMessage message)
    {
        if (Activity.Current is not { } current) return;
        message.Headers.Remove("traceparent");
        message.Headers.Remove("tracestate");
        DistributedContextPropagator.Current.Inject(current, message, static (carrier, name, value) =>
        {
            if (carrier is HttpRequestMessage m && value != null) m.Headers.TryAddWithoutValidation(name, value);
        });
    }
}
