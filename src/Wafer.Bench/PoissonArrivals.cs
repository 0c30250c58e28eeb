namespace Wafer.Bench;

/// <summary>Open-loop arrival times: a Poisson process at a given rate (exponential gaps), the first request at 0.</summary>
internal static class PoissonArrivals
{
    /// <summary>Arrival offsets in seconds from the start of the run, ascending.</summary>
    public static double[] OffsetsSeconds(int count, double ratePerSecond, Random random)
    {
        if (!(ratePerSecond > 0) || double.IsInfinity(ratePerSecond)) throw new ArgumentException($"--rate must be a positive number of requests per second, got {ratePerSecond}");
        var offsets = new double[count];
        double t = 0;
        for (int i = 0; i < count; i++)
        {
            offsets[i] = t;
            // Inverse CDF of Exp(rate); 1 − U is in (0, 1] so the log is finite.
            t += -Math.Log(1 - random.NextDouble()) / ratePerSecond;
        }
        return offsets;
    }
}
