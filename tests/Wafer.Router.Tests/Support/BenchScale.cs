using System.Globalization;

namespace Wafer.Router.Tests.Support;

/// <summary>Scales measuring tests: the suite runs them small and asserts only what holds on a busy machine; WAFER_ROUTER_BENCH=N multiplies their size and asserts their figures too (the numbers in docs/router.md).</summary>
internal static class BenchScale
{
    /// <summary>Whether the run was asked to measure (WAFER_ROUTER_BENCH set above 1): only then are latency and throughput
    /// figures asserted, since on a shared machine they say more about the neighbours than about the router.</summary>
    public static bool Measuring => Factor > 1;

    public static int Factor => int.TryParse(Environment.GetEnvironmentVariable("WAFER_ROUTER_BENCH"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int f) && f > 1 ? f : 1;

    public static int Requests(int baseline) => baseline * Factor;

    public static TimeSpan Duration(TimeSpan baseline) => baseline * Factor;
}
