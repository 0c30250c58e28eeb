using System.Net;

namespace Wafer.Bench;

/// <summary>Creates the benchmark's HttpClients: one pooled SocketsHttpHandler with room for every concurrent request, and one that
/// never reuses a connection (for reconnects); neither has a client-side timeout (each request has its own).</summary>
internal static class BenchHttpClient
{
    /// <summary>How long a pooled connection may sit idle before the client closes it: below the keep-alive timeouts servers commonly
    /// use (llama-server's cpp-httplib and vLLM's uvicorn 5 s, Node 5 s, nginx 75 s), so that the client, not the server, closes an idle
    /// connection. It narrows the race in which a request is written to a connection the server is closing; the retry in
    /// <see cref="OpenAiStreamingSender"/> handles what remains (and servers that close a connection after N requests).</summary>
    public static readonly TimeSpan PooledConnectionIdleTimeout = TimeSpan.FromSeconds(3);

    public static HttpClient Create(int maxConnections) => new(Handler(Math.Max(maxConnections, 1), TimeSpan.FromMinutes(10)), disposeHandler: true)
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>The client for a retry after the server closed a kept-alive connection: no connection outlives its request
    /// (zero lifetime), so every request dials a fresh one rather than taking another idle connection the server may have closed too.</summary>
    public static HttpClient CreateFresh() => new(Handler(int.MaxValue, TimeSpan.Zero), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };

    private static SocketsHttpHandler Handler(int maxConnections, TimeSpan lifetime) => new()
    {
        MaxConnectionsPerServer = maxConnections,
        PooledConnectionLifetime = lifetime,
        PooledConnectionIdleTimeout = PooledConnectionIdleTimeout,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        UseProxy = false,
        EnableMultipleHttp2Connections = true,
    };

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
