namespace Wafer.Bench.Tests.Support;

/// <summary>The opt-in switch for tests that measure this machine's speed (WAFER_BENCH=1), as WAFER_ROUTER_BENCH is for the
/// router's: off in the suite, so a busy machine cannot fail it; on when taking the numbers quoted in docs/bench-serve.md.</summary>
internal static class BenchSwitch
{
    public const string Variable = "WAFER_BENCH";

    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } v && v != "0";

    /// <summary>Skips the calling test unless the switch is on.</summary>
    public static void Require(string measures)
    {
        if (!Enabled) Assert.Skip($"measures {measures} on this machine; set {Variable}=1 to run it (numbers in docs/bench-serve.md)");
    }
}
