namespace Wafer.Kernels.Parallelism;

/// <summary>The number of physical cores (SMT siblings counted once), the default thread count: a second hyper-thread adds no memory bandwidth to token generation.</summary>
public static class PhysicalCores
{
    private static readonly Lazy<int> Cached = new(Count);

    /// <summary>Physical cores of this machine; falls back to <see cref="Environment.ProcessorCount"/> where the topology is unknown.</summary>
    public static int Value => Cached.Value;

    private static int Count()
    {
        try
        {
            var cores = new HashSet<string>(StringComparer.Ordinal);
            foreach (var cpu in Directory.EnumerateDirectories("/sys/devices/system/cpu", "cpu*"))
            {
                string siblings = Path.Combine(cpu, "topology", "thread_siblings_list");
                if (File.Exists(siblings)) cores.Add(File.ReadAllText(siblings).Trim());
            }
            return cores.Count > 0 ? Math.Min(cores.Count, Environment.ProcessorCount) : Environment.ProcessorCount;
        }
        catch (IOException)
        {
            return Environment.ProcessorCount;
        }
        catch (UnauthorizedAccessException)
        {
            return Environment.ProcessorCount;
        }
    }
}
