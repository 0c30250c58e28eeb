using Wafer.Bench;

namespace Wafer.Bench.Tests;

/// <summary>Options and runners pointed at a test server, with small workloads so tests stay fast.</summary>
internal static class BenchTestKit
{
    public static BenchServeOptions Options(string url, LoadLevel level, int requestCount, int outputTokens = 8, EndpointKind endpoint = EndpointKind.Chat,
        SloOptions? slo = null) => new()
    {
        Url = url,
        Model = "fake-model",
        Endpoint = endpoint,
        RequestCount = requestCount,
        Levels = [level],
        Workload = new WorkloadOptions { PromptTokens = new TokenRange(20, 5), OutputTokens = outputTokens },
        Seed = 42,
        Slo = slo ?? new SloOptions(null, null),
        WarmupCount = 0,
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>The sender a run uses: <paramref name="http"/> for requests, <paramref name="reconnectHttp"/> for retries on a fresh connection.</summary>
    public static OpenAiStreamingSender Sender(BenchServeOptions options, HttpClient http, HttpClient reconnectHttp, TimeSpan? timeout = null) =>
        new(http, BenchHttpClient.BaseAddress(options.Url), options.Model, null, options.Endpoint,
            TimeProvider.System, timeout ?? options.RequestTimeout, ignoreEos: false, reconnectHttp);

    public static async Task<RunSummary> RunAsync(BenchServeOptions options, HttpClient http, TimeSpan? timeout = null)
    {
        using var reconnectHttp = BenchHttpClient.CreateFresh();
        var runner = new BenchServeRunner(options, Sender(options, http, reconnectHttp, timeout), TimeProvider.System);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await runner.RunLevelAsync(0, null, bound.Token);
    }

    /// <summary>A loopback port that nothing listens on (bound, then released).</summary>
    public static int RefusedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Waits until <paramref name="count"/> handlers of the fake server have ended (a client can see [DONE] before the
    /// server has recorded what it served); fails only if they never do.</summary>
    public static async Task WaitForHandlersAsync(FakeOpenAiServer server, int count)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(60); server.EndedCount < count && DateTime.UtcNow < deadline;) await Task.Delay(10);
        Assert.Equal(count, server.EndedCount);
    }
}
