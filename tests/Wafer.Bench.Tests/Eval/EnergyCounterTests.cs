using Wafer.Bench.Eval;

namespace Wafer.Bench.Tests.Eval;

/// <summary>The powercap energy counter over a fake <c>/sys/class/powercap</c>: top-level zones summed, sub-zones left out (they
/// are inside their parent), a wrapped counter corrected by its range; a missing folder is a reason, not an error.</summary>
public sealed class EnergyCounterTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("wafer-powercap-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Zone(string name, long microjoules, long range = 1_000_000_000)
    {
        string dir = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
        File.WriteAllText(Path.Combine(dir, "energy_uj"), $"{microjoules}\n");
        File.WriteAllText(Path.Combine(dir, "max_energy_range_uj"), $"{range}\n");
    }

    [Fact]
    public void JoulesBetween_TwoPackagesOneWrapped_SumsTopLevelZones()
    {
        Zone("intel-rapl:0", 5_000_000);
        Zone("intel-rapl:0:0", 4_000_000); // the cores of package 0: inside it, not added again
        Zone("intel-rapl:1", 999_000_000);
        var counter = EnergyCounter.TryOpen(_root, out string? reason)!;
        Assert.Null(reason);
        var before = counter.Read();
        Zone("intel-rapl:0", 7_500_000);      // +2.5 J
        Zone("intel-rapl:1", 1_000_000);      // wrapped: +1 J + 1 J
        Assert.Equal(4.5, counter.JoulesBetween(before, counter.Read()), 1e-9);
    }

    [Fact]
    public void TryOpen_NoPowercap_NullWithReason()
    {
        Assert.Null(EnergyCounter.TryOpen(Path.Combine(_root, "missing"), out string? reason));
        Assert.Contains("does not exist", reason);
        Assert.Null(EnergyCounter.TryOpen(_root, out reason));
        Assert.Contains("no zone with energy_uj", reason);
    }
}
