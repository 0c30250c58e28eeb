using System.Net;

namespace Wafer.Bench;

/// <summary>Creates the benchmark's HttpClient: one pooled SocketsHttpHandler with room for every concurrent request, no client-side timeout (each request has its own).</summary>
internal static class BenchHttpClient
{
    public static HttpClient Create(int maxConnections)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(maxConnections, 1),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            EnableMultipleHttp2Connections = true,
        };
        return new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The server's base address without a trailing "/v1", ending in '/', so endpoint paths can be appended.</summary>
    public static Uri BaseAddress(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"--url '{url}' is not an http(s) URL such as http://127.0.0.1:8080");
        string path = uri.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/v1", StringComparison.Ordinal)) path = path[..^3];
        return new UriBuilder(uri) { Path = path + "/", Query = "", Fragment = "" }.Uri;
    }
}
