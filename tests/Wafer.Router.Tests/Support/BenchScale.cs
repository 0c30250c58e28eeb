using System.Globalization;

namespace Wafer.Router.Tests.Support;

/// <summary>Scales measuring tests: the suite runs them small; WAFER_ROUTER_BENCH=N multiplies their size for the numbers in docs/router.md.</summary>
internal static class BenchScale
{
    public static int Factor => int.TryParse(Environment.GetEnvironmentVariable("WAFER_ROUTER_BENCH"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int f) && f > 1 ? f : 1;

    public static int Requests(int baseline) => baseline * Factor;

    public static TimeSpan Duration(TimeSpan baseline) => baseline * Factor;
}
