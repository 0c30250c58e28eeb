using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Wafer.OpenAi.Hosting;

namespace Wafer.Router.Tests.Support;

/// <summary>An OTLP/HTTP trace receiver on loopback (<c>POST /v1/traces</c>, <c>application/x-protobuf</c>), as a collector's
/// <c>otlphttp</c> receiver answers it, decoding each export into spans. No collector can be installed here; this one reads the
/// protobuf wire format of <c>opentelemetry/proto/collector/trace/v1</c> directly, the few fields the tests need.</summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<OtlpSpan> _spans = [];
    private int _exports;

    private OtlpReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>Export requests received.</summary>
    public int Exports => Volatile.Read(ref _exports);

    public IReadOnlyList<OtlpSpan> Spans()
    {
        lock (_spans) return [.. _spans];
    }

    public static async Task<OtlpReceiver> StartAsync()
    {
        var app = KestrelHost.CreateBuilder("127.0.0.1", 0, consoleLogging: false).Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", receiver.ExportAsync);
        receiver.Url = await KestrelHost.StartAsync(app);
        return receiver;
    }

    private async Task ExportAsync(HttpContext http)
    {
        if (http.Request.ContentType != "application/x-protobuf")
        {
            http.Response.StatusCode = 415;
            return;
        }
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var spans = Decode(buffer.ToArray());
        lock (_spans) _spans.AddRange(spans);
        Interlocked.Increment(ref _exports);
        http.Response.ContentType = "application/x-protobuf";
        // An empty ExportTraceServiceResponse: everything accepted.
    }

    /// <summary>ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1 }.</summary>
    internal static List<OtlpSpan> Decode(byte[] request)
    {
        var spans = new List<OtlpSpan>();
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field != 1) continue;
            // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2 }; Resource { repeated KeyValue attributes = 1 }
            var fields = Fields(resourceSpans).ToList();
            var resource = fields.Where(f => f.Field == 1).SelectMany(f => Attributes(f.Value, 1)).ToDictionary();
            string service = resource.GetValueOrDefault("service.name", "");
            foreach (var (_, scopeSpans) in fields.Where(f => f.Field == 2))
                foreach (var (_, span) in Fields(scopeSpans).Where(f => f.Field == 2)) // ScopeSpans { scope = 1; repeated Span spans = 2 }
                    spans.Add(Span(service, span));
        }
        return spans;
    }

    // Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; SpanKind kind = 6; repeated KeyValue attributes = 9 }
    private static OtlpSpan Span(string service, byte[] span)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        long kind = 0;
        foreach (var (field, value) in Fields(span))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(value); break;
                case 2: spanId = Convert.ToHexStringLower(value); break;
                case 4: parent = Convert.ToHexStringLower(value); break;
                case 5: name = Encoding.UTF8.GetString(value); break;
                case 6: kind = BitConverter.ToInt64(value); break;
            }
        }
        return new OtlpSpan(service, traceId, spanId, parent, name, (int)kind, Attributes(span, 9).ToDictionary());
    }

    // KeyValue { string key = 1; AnyValue value = 2 }; AnyValue { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
    // double double_value = 4; ArrayValue array_value = 5 { repeated AnyValue values = 1 } }: every value as invariant text.
    private static IEnumerable<KeyValuePair<string, string>> Attributes(byte[] message, int field)
    {
        foreach (var (f, keyValue) in Fields(message))
        {
            if (f != field) continue;
            string key = "", value = "";
            foreach (var (k, v) in Fields(keyValue))
                if (k == 1) key = Encoding.UTF8.GetString(v);
                else if (k == 2) value = AnyValue(v);
            yield return new(key, value);
        }
    }

    private static string AnyValue(byte[] any)
    {
        foreach (var (field, value) in Fields(any))
            return field switch
            {
                1 => Encoding.UTF8.GetString(value),
                2 => BitConverter.ToInt64(value) != 0 ? "true" : "false",
                3 => BitConverter.ToInt64(value).ToString(CultureInfo.InvariantCulture),
                4 => BitConverter.ToDouble(value).ToString(CultureInfo.InvariantCulture),
                5 => string.Join(",", Fields(value).Where(f => f.Field == 1).Select(f => AnyValue(f.Value))),
                _ => Convert.ToHexStringLower(value),
            };
        return "";
    }

    /// <summary>The fields of a protobuf message in order: varints and fixed64/fixed32 as 8 little-endian bytes, length-delimited
    /// fields as their bytes.</summary>
    private static IEnumerable<(int Field, byte[] Value)> Fields(byte[] message)
    {
        int at = 0;
        while (at < message.Length)
        {
            ulong tag = Varint(message, ref at);
            int field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    yield return (field, BitConverter.GetBytes(Varint(message, ref at)));
                    break;
                case 1:
                    yield return (field, message[at..(at + 8)]);
                    at += 8;
                    break;
                case 2:
                    int length = checked((int)Varint(message, ref at));
                    yield return (field, message[at..(at + length)]);
                    at += length;
                    break;
                case 5:
                    yield return (field, [.. message[at..(at + 4)], 0, 0, 0, 0]);
                    at += 4;
                    break;
                default:
                    throw new InvalidDataException($"protobuf wire type {tag & 7} at byte {at}");
            }
        }
    }

    private static ulong Varint(byte[] message, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = message[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>One exported span: its service (resource <c>service.name</c>), ids in lower-case hex, name, kind (1 internal,
/// 2 server, 3 client) and attributes as text.</summary>
internal sealed record OtlpSpan(string Service, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, IReadOnlyDictionary<string, string> Attributes);
