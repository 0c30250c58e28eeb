using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Wafer.Server.Tests;

/// <summary>A real <c>wafer serve</c> process on a free loopback port, stopped when disposed.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _log = new();

    private ServerProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
        Http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri Url { get; }

    public HttpClient Http { get; }

    public int Pid => _process.Id;

    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    /// <summary>Starts the server and waits (at most 60 s) until /health answers 200.</summary>
    public static async Task<ServerProcess> StartAsync(params string[] extraArgs)
    {
        string model = Fixtures.Path("models/stories260K.gguf");
        int port = FreePort();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "wafer.dll"));
        foreach (var a in (string[])["serve", model, "--port", $"{port}", "--threads", "1", .. extraArgs]) info.ArgumentList.Add(a);
        var server = new ServerProcess(Process.Start(info)!, new Uri($"http://127.0.0.1:{port}/"));
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (server._process.HasExited) throw new InvalidOperationException($"wafer serve exited with {server._process.ExitCode}: {server.Log}");
            try
            {
                using var r = await server.Http.GetAsync("health");
                if (r.StatusCode == HttpStatusCode.OK) return server;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        await server.DisposeAsync();
        throw new TimeoutException($"wafer serve did not become healthy in 60 s: {server.Log}");
    }

    private void Append(string? line)
    {
        if (line == null) return;
        lock (_log) _log.AppendLine(line);
    }

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", $"{_process.Id}"])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Reads one metric's value from /metrics (summing over label sets).</summary>
    public async Task<double> MetricAsync(string name)
    {
        string text = await Http.GetStringAsync("metrics");
        double sum = 0;
        foreach (var line in text.Split('\n'))
            if (line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
                sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
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
