using System.Globalization;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Wafer.OpenAi.Hosting;

namespace Wafer.Router.Tests.Support;

/// <summary>A loopback fake of the Kubernetes API's EndpointSlice list and watch (GET …/endpointslices, with and without
/// <c>watch=true</c>), for one namespace and one Service's label selector.</summary>
/// <remarks>Every change gets the next resourceVersion and is kept in a log, so a watch from version V first replays the
/// changes after V, as the real API does; a watch from a version older than <see cref="ExpireBefore"/> gets a 410 ERROR event.</remarks>
internal sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly WebApplication _app;
    private readonly string _namespace;
    private readonly string _selector;
    private readonly Dictionary<string, V1EndpointSlice> _slices = new(StringComparer.Ordinal);
    private readonly List<(long Version, string Type, V1EndpointSlice Slice)> _log = [];
    private readonly List<Channel<string>> _watches = [];
    private long _version = 100;
    private long _expireBefore;
    private int _lists;
    private int _watchesOpened;

    private FakeKubernetesApi(WebApplication app, string ns, string service)
    {
        _app = app;
        _namespace = ns;
        _selector = $"kubernetes.io/service-name={service}";
    }

    public Uri Url { get; private set; } = null!;

    /// <summary>List calls answered.</summary>
    public int Lists => Volatile.Read(ref _lists);

    /// <summary>Watch calls opened.</summary>
    public int WatchesOpened => Volatile.Read(ref _watchesOpened);

    /// <summary>Status answered to list calls instead of the list (200 = normal).</summary>
    public int ListStatus { get; set; } = 200;

    public static async Task<FakeKubernetesApi> StartAsync(string ns, string service)
    {
        var builder = KestrelHost.CreateBuilder("127.0.0.1", 0, consoleLogging: false);
        var app = builder.Build();
        var api = new FakeKubernetesApi(app, ns, service);
        app.MapGet("/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", api.HandleAsync);
        api.Url = await KestrelHost.StartAsync(app);
        return api;
    }

    /// <summary>Creates or replaces slice <paramref name="name"/> with these endpoints on one port named "http".</summary>
    public void SetSlice(string name, int port, params (string Address, bool Ready)[] endpoints)
    {
        var slice = new V1EndpointSlice
        {
            ApiVersion = "discovery.k8s.io/v1",
            Kind = "EndpointSlice",
            AddressType = "IPv4",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = _namespace, Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = _selector.Split('=')[1] } },
            Ports = [new Discoveryv1EndpointPort { Name = "http", Port = port, Protocol = "TCP" }],
            Endpoints = [.. endpoints.Select(e => new V1Endpoint { Addresses = [e.Address], Conditions = new V1EndpointConditions { Ready = e.Ready } })],
        };
        lock (_lock)
        {
            string type = _slices.ContainsKey(name) ? "MODIFIED" : "ADDED";
            Record(type, slice);
            _slices[name] = slice;
        }
    }

    public void DeleteSlice(string name)
    {
        lock (_lock)
        {
            if (_slices.Remove(name, out var slice)) Record("DELETED", slice);
        }
    }

    /// <summary>Ends every open watch as the API server does at its timeout.</summary>
    public void EndWatches()
    {
        lock (_lock)
        {
            foreach (var w in _watches) w.Writer.TryComplete();
            _watches.Clear();
        }
    }

    /// <summary>Versions before the current one are "too old": open watches get a 410 ERROR event, and so does a watch from such a version.</summary>
    public void ExpireBefore()
    {
        lock (_lock)
        {
            _expireBefore = _version;
            foreach (var w in _watches)
            {
                w.Writer.TryWrite(GoneEvent());
                w.Writer.TryComplete();
            }
            _watches.Clear();
        }
    }

    private void Record(string type, V1EndpointSlice slice)
    {
        slice.Metadata.ResourceVersion = (++_version).ToString(CultureInfo.InvariantCulture);
        _log.Add((_version, type, slice));
        string line = Event(type, slice);
        foreach (var w in _watches) w.Writer.TryWrite(line);
    }

    private static string Event(string type, object o) => "{\"type\":\"" + type + "\",\"object\":" + KubernetesJson.Serialize(o) + "}\n";

    private static string GoneEvent() =>
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"too old resource version\",\"reason\":\"Expired\",\"code\":410}}\n";

    private async Task HandleAsync(HttpContext http, string ns)
    {
        var q = http.Request.Query;
        http.Response.ContentType = "application/json";
        if (ns != _namespace || q["labelSelector"] != _selector)
        {
            // The router asked for the wrong namespace or Service: an empty answer, so the test sees no replicas.
            await http.Response.WriteAsync(KubernetesJson.Serialize(new V1EndpointSliceList { Metadata = new V1ListMeta { ResourceVersion = "1" }, Items = [] }));
            return;
        }
        if (q["watch"] != "true")
        {
            Interlocked.Increment(ref _lists);
            if (ListStatus != 200)
            {
                http.Response.StatusCode = ListStatus;
                await http.Response.WriteAsync("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"forbidden by the test\",\"code\":" + ListStatus + "}");
                return;
            }
            string text;
            lock (_lock)
                text = KubernetesJson.Serialize(new V1EndpointSliceList { ApiVersion = "discovery.k8s.io/v1", Kind = "EndpointSliceList", Metadata = new V1ListMeta { ResourceVersion = _version.ToString(CultureInfo.InvariantCulture) }, Items = [.. _slices.Values] });
            await http.Response.WriteAsync(text);
            return;
        }
        Interlocked.Increment(ref _watchesOpened);
        long from = long.Parse(q["resourceVersion"].ToString() is { Length: > 0 } v ? v : "0", CultureInfo.InvariantCulture);
        var channel = Channel.CreateUnbounded<string>();
        lock (_lock)
        {
            if (from < _expireBefore)
            {
                channel.Writer.TryWrite(GoneEvent());
                channel.Writer.TryComplete();
            }
            else
            {
                foreach (var (version, type, slice) in _log)
                    if (version > from) channel.Writer.TryWrite(Event(type, slice));
                _watches.Add(channel);
            }
        }
        await http.Response.StartAsync(http.RequestAborted);
        try
        {
            await foreach (var line in channel.Reader.ReadAllAsync(http.RequestAborted))
            {
                await http.Response.WriteAsync(line, http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            lock (_lock) _watches.Remove(channel);
        }
    }

    public async ValueTask DisposeAsync()
    {
        EndWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
