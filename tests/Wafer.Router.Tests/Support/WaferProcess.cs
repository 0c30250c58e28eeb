using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Wafer.Router.Tests.Support;

/// <summary>A real <c>wafer serve</c> or <c>wafer route</c> process on a free loopback port, killed when disposed.</summary>
internal sealed class WaferProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _log = new();

    private WaferProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
        Http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri Url { get; }

    public HttpClient Http { get; }

    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    /// <summary><c>wafer serve stories260K.gguf --alias stories</c> with one thread.</summary>
    public static Task<WaferProcess> ServeAsync() =>
        StartAsync(port => ["serve", Fixtures.Path("models/stories260K.gguf"), "--alias", "stories", "--port", $"{port}", "--threads", "1"]);

    /// <summary><c>wafer route --config FILE</c>.</summary>
    public static Task<WaferProcess> RouteAsync(string configPath) =>
        StartAsync(port => ["route", "--config", configPath, "--port", $"{port}"]);

    private static async Task<WaferProcess> StartAsync(Func<int, string[]> args)
    {
        int port = FreePort();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "wafer.dll"));
        foreach (var a in args(port)) info.ArgumentList.Add(a);
        var p = new WaferProcess(Process.Start(info)!, new Uri($"http://127.0.0.1:{port}/"));
        p._process.OutputDataReceived += (_, e) => p.Append(e.Data);
        p._process.ErrorDataReceived += (_, e) => p.Append(e.Data);
        p._process.BeginOutputReadLine();
        p._process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (p._process.HasExited) throw new InvalidOperationException($"wafer {args(port)[0]} exited with {p._process.ExitCode}: {p.Log}");
            try
            {
                using var r = await p.Http.GetAsync("health");
                if (r.StatusCode == HttpStatusCode.OK) return p;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        await p.DisposeAsync();
        throw new TimeoutException($"wafer {args(port)[0]} did not become healthy in 60 s: {p.Log}");
    }

    private void Append(string? line)
    {
        if (line == null) return;
        lock (_log) _log.AppendLine(line);
    }

    /// <summary>SIGKILL: the process dies at once, its connections reset.</summary>
    public void KillHard() => _process.Kill();

    /// <summary>Sums a metric's samples (all label sets) from /metrics.</summary>
    public async Task<double> MetricAsync(string name) => Metrics.Sum(await Http.GetStringAsync("metrics"), name);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
