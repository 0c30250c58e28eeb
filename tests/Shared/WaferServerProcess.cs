using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Wafer.Tests;

/// <summary>A real <c>wafer serve</c> or <c>wafer route</c> process on a free loopback port (wafer.dll from the test's
/// output folder), healthy before it is returned, killed when disposed.</summary>
internal sealed class WaferServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly System.Text.StringBuilder _log = new();

    private WaferServerProcess(Process process, Uri url)
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

    /// <summary><c>wafer serve stories260K.gguf --threads 1 EXTRA…</c>.</summary>
    public static Task<WaferServerProcess> ServeAsync(params string[] extraArgs) =>
        StartAsync(port => ["serve", Fixtures.Path("models/stories260K.gguf"), "--port", $"{port}", "--threads", "1", .. extraArgs]);

    /// <summary><c>wafer serve --threads 1</c> with no model, no fixtures (<c>WAFER_FIXTURES</c> at a missing folder) and an
    /// empty model cache (<c>WAFER_MODELS</c> at <paramref name="emptyCache"/>): what a fresh clone serves.</summary>
    public static Task<WaferServerProcess> ServeDefaultAsync(string emptyCache) =>
        StartAsync(port => ["serve", "--port", $"{port}", "--threads", "1"],
            new Dictionary<string, string> { ["WAFER_FIXTURES"] = Path.Combine(emptyCache, "no-fixtures"), ["WAFER_MODELS"] = emptyCache });

    /// <summary><c>wafer serve --threads 1 ARGS…</c> (the models and their options in <paramref name="args"/>), with
    /// <paramref name="environment"/> added to the process's.</summary>
    public static Task<WaferServerProcess> ServeWithAsync(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        StartAsync(port => ["serve", "--port", $"{port}", "--threads", "1", .. args], environment);

    /// <summary>The process's resident set (VmRSS in /proc/PID/status), in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException("no VmRSS in /proc/PID/status");
    }

    /// <summary><c>wafer route --config FILE</c>.</summary>
    public static Task<WaferServerProcess> RouteAsync(string configPath, IReadOnlyDictionary<string, string>? environment = null) =>
        StartAsync(port => ["route", "--config", configPath, "--port", $"{port}"], environment);

    /// <summary><c>wafer bench fake-server EXTRA…</c>: a fake OpenAI-compatible backend (known token schedule, injected stragglers).</summary>
    public static Task<WaferServerProcess> FakeServerAsync(params string[] extraArgs) =>
        StartAsync(port => ["bench", "fake-server", "--port", $"{port}", .. extraArgs]);

    private static async Task<WaferServerProcess> StartAsync(Func<int, string[]> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        int port = FreePort();
        string[] arguments = args(port);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "wafer.dll"));
        foreach (var a in arguments) info.ArgumentList.Add(a);
        var p = new WaferServerProcess(Process.Start(info)!, new Uri($"http://127.0.0.1:{port}/"));
        p._process.OutputDataReceived += (_, e) => p.Append(e.Data);
        p._process.ErrorDataReceived += (_, e) => p.Append(e.Data);
        p._process.BeginOutputReadLine();
        p._process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (p._process.HasExited) throw new InvalidOperationException($"wafer {arguments[0]} exited with {p._process.ExitCode}: {p.Log}");
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
        throw new TimeoutException($"wafer {arguments[0]} did not become healthy in {StartTimeout.TotalSeconds} s: {p.Log}");
    }

    private void Append(string? line)
    {
        if (line == null) return;
        lock (_log) _log.AppendLine(line);
    }

    /// <summary>SIGKILL: the process dies at once, its connections reset.</summary>
    public void KillHard() => _process.Kill();

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", $"{_process.Id}"])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Sums a metric's samples over all label sets from /metrics (a prefix with labels, e.g. <c>name{a="b"}</c>, narrows it).</summary>
    public async Task<double> MetricAsync(string name) => SumMetric(await Http.GetStringAsync("metrics"), name);

    /// <summary>Sums the samples of <paramref name="name"/> in Prometheus text.</summary>
    public static double SumMetric(string text, string name)
    {
        double sum = 0;
        foreach (var line in text.Split('\n'))
            if (line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal)
                || (name.EndsWith('}') && line.StartsWith(name, StringComparison.Ordinal)))
                sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        return sum;
    }

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
