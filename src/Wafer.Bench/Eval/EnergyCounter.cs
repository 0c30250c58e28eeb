using System.Globalization;

namespace Wafer.Bench.Eval;

/// <summary>The machine's cumulative energy in joules from the Linux powercap interface (<c>/sys/class/powercap/*/energy_uj</c>,
/// e.g. intel-rapl or AMD's RAPL zones), summed over the top-level zones; a counter that wrapped adds its range.</summary>
internal sealed class EnergyCounter
{
    private readonly (string Energy, long Range)[] _zones;

    private EnergyCounter((string, long)[] zones) => _zones = zones;

    /// <summary>The counter, or null with the reason when the machine exposes none (VMs usually do not; reading may need root).</summary>
    public static EnergyCounter? TryOpen(string root, out string? reason)
    {
        reason = null;
        if (!Directory.Exists(root))
        {
            reason = $"{root} does not exist: this machine exposes no energy counter (virtual machines seldom do)";
            return null;
        }
        // Top-level zones only (intel-rapl:0, not intel-rapl:0:0, which is inside it).
        var zones = Directory.GetDirectories(root).Where(d => Path.GetFileName(d).Count(c => c == ':') == 1)
            .Select(d => (Energy: Path.Combine(d, "energy_uj"), Range: Path.Combine(d, "max_energy_range_uj")))
            .Where(z => File.Exists(z.Energy)).ToList();
        if (zones.Count == 0)
        {
            reason = $"{root} has no zone with energy_uj";
            return null;
        }
        try
        {
            var counter = new EnergyCounter([.. zones.Select(z => (z.Energy, File.Exists(z.Range) ? ReadMicrojoules(z.Range) : long.MaxValue))]);
            _ = counter.Read();
            return counter;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            reason = $"cannot read {zones[0].Energy}: {e.Message}";
            return null;
        }
    }

    /// <summary>Each zone's counter in microjoules now.</summary>
    public long[] Read() => [.. _zones.Select(z => ReadMicrojoules(z.Energy))];

    /// <summary>Joules between two readings.</summary>
    public double JoulesBetween(long[] before, long[] after)
    {
        double joules = 0;
        for (int i = 0; i < _zones.Length; i++)
        {
            long delta = after[i] - before[i];
            if (delta < 0) delta += _zones[i].Range;
            joules += delta / 1e6;
        }
        return joules;
    }

    private static long ReadMicrojoules(string path) => long.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);
}
