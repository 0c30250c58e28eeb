using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace Wafer.OpenAi.Hosting;

/// <summary>The host process's resources as gauges on <c>/metrics</c> (what a soak test watches for growth):
/// <c>wafer_process_resident_memory_bytes</c>, <c>wafer_process_gc_heap_bytes</c>, <c>wafer_process_threads</c>,
/// <c>wafer_process_open_fds</c>, <c>wafer_process_open_sockets</c>.</summary>
/// <remarks>One meter per process (the values are the process's, so two hosts in one process, as in tests, share it rather
/// than export the same figures twice). Resident memory, descriptors and sockets come from <c>/proc/self</c> (Linux); where it
/// is missing those gauges report nothing rather than a made-up zero.</remarks>
public static class ProcessMetrics
{
    /// <summary>The meter name a host subscribes to.</summary>
    public const string MeterName = "Wafer.Process";

    private static readonly Lazy<Meter> Instance = new(Create);

    /// <summary>Creates the process's meter once; call before the metrics provider starts so its instruments are seen.</summary>
    public static void EnsureCreated() => _ = Instance.Value;

    private static Meter Create()
    {
        var meter = new Meter(MeterName);
        meter.CreateObservableGauge("wafer.process_resident_memory", () => Optional(ResidentBytes()), "By", "Resident set size of the process (VmRSS)");
        meter.CreateObservableGauge("wafer.process_gc_heap", () => GC.GetGCMemoryInfo().HeapSizeBytes, "By",
            "Managed heap size after the last garbage collection");
        meter.CreateObservableGauge("wafer.process_threads", Threads, description: "Threads of the process");
        meter.CreateObservableGauge("wafer.process_open_fds", () => Optional(Descriptors(socketsOnly: false)), description: "Open file descriptors");
        meter.CreateObservableGauge("wafer.process_open_sockets", () => Optional(Descriptors(socketsOnly: true)), description: "Open sockets (descriptors that are sockets)");
        return meter;
    }

    private static IEnumerable<Measurement<long>> Optional(long? value) => value is long v ? [new Measurement<long>(v)] : [];

    private static int Threads()
    {
        using var process = Process.GetCurrentProcess();
        return process.Threads.Count;
    }

    /// <summary>VmRSS of /proc/self/status in bytes, or null off Linux.</summary>
    public static long? ResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>Entries of /proc/self/fd (only those linking to <c>socket:[…]</c> when <paramref name="socketsOnly"/>), or null off Linux.</summary>
    public static long? Descriptors(bool socketsOnly)
    {
        if (!Directory.Exists("/proc/self/fd")) return null;
        long count = 0;
        try
        {
            foreach (var entry in new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos())
            {
                if (!socketsOnly) count++;
                else if (Link(entry)?.StartsWith("socket:", StringComparison.Ordinal) == true) count++;
            }
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        return count;
    }

    // A descriptor can close between listing and reading its link.
    private static string? Link(FileSystemInfo entry)
    {
        try
        {
            return entry.LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
