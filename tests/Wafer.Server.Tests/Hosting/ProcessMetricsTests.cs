using System.Globalization;
using Wafer.OpenAi.Hosting;
using Wafer.Server.Tests.Support;

namespace Wafer.Server.Tests.Hosting;

/// <summary>The process's resources on <c>/metrics</c>, what <c>wafer bench soak</c> watches for growth.</summary>
public sealed class ProcessMetricsTests
{
    [Fact]
    public async Task Metrics_Server_ExportsTheProcessSeries()
    {
        await using var server = await TinyServer.StartAsync();
        string text = await server.Http.GetStringAsync("/metrics");
        double Value(string name)
        {
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal));
            Assert.True(line != null, $"{name} is not on /metrics");
            return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }
        Assert.True(Value("wafer_process_resident_memory_bytes") > 1 << 20);
        Assert.True(Value("wafer_process_gc_heap_bytes") > 0);
        Assert.True(Value("wafer_process_threads") >= 1);
        // The server listens and the test is connected to it: at least two sockets, each also a descriptor.
        Assert.True(Value("wafer_process_open_sockets") >= 2);
        Assert.True(Value("wafer_process_open_fds") >= Value("wafer_process_open_sockets"));
    }

    [Fact]
    public void ResidentBytes_Linux_CloseToTheRuntimesWorkingSet()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc/self/status (Linux)");
        long rss = ProcessMetrics.ResidentBytes()!.Value;
        long working = Environment.WorkingSet;
        Assert.InRange(rss, working / 2, working * 2);
    }

    [Fact]
    public void Descriptors_OpenSocket_CountedAsSocketAndDescriptor()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc/self/fd (Linux)");
        long sockets = ProcessMetrics.Descriptors(socketsOnly: true)!.Value, fds = ProcessMetrics.Descriptors(socketsOnly: false)!.Value;
        Assert.True(sockets >= 0 && fds >= sockets, $"{sockets} sockets, {fds} descriptors");
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        // Other tests in this process open and close sockets too, so the check is only that a socket now shows.
        Assert.True(ProcessMetrics.Descriptors(socketsOnly: true) >= 1);
    }
}
