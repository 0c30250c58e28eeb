using System.Globalization;

namespace Wafer.Bench;

/// <summary>One load level: closed loop at a concurrency, or open loop at a Poisson rate (requests per second).</summary>
internal sealed record LoadLevel
{
    private LoadLevel(int? concurrency, double? rate)
    {
        Concurrency = concurrency;
        Rate = rate;
    }

    /// <summary>Requests in flight at all times (closed loop), or null.</summary>
    public int? Concurrency { get; }

    /// <summary>Mean arrival rate in requests per second (open loop), or null.</summary>
    public double? Rate { get; }

    public static LoadLevel ClosedLoop(int concurrency) => concurrency >= 1
        ? new LoadLevel(concurrency, null)
        : throw new ArgumentException($"--concurrency must be at least 1, got {concurrency}");

    public static LoadLevel OpenLoop(double rate) => rate > 0 && !double.IsInfinity(rate)
        ? new LoadLevel(null, rate)
        : throw new ArgumentException($"--rate must be a positive number of requests per second, got {rate}");

    public override string ToString() => Concurrency is int c
        ? string.Create(CultureInfo.InvariantCulture, $"concurrency {c}")
        : string.Create(CultureInfo.InvariantCulture, $"rate {Rate:0.###}/s");
}
