using System.Globalization;

namespace Wafer.Bench.Charts;

/// <summary>Maps data values to pixels along one axis (linear from 0, or logarithmic) and chooses its tick values.</summary>
internal sealed class AxisScale
{
    private readonly double min, max, pixelStart, pixelEnd;
    private readonly bool log;

    public AxisScale(IReadOnlyCollection<double> values, bool log, double pixelStart, double pixelEnd)
    {
        this.log = log && values.All(v => v > 0);
        this.pixelStart = pixelStart;
        this.pixelEnd = pixelEnd;
        double dataMax = values.Count == 0 ? 1 : Math.Max(values.Max(), 1e-9);
        if (this.log)
        {
            double dataMin = values.Min();
            min = Math.Log(dataMin / 1.3);
            max = Math.Log(dataMax * 1.3);
            Ticks = [.. values.Distinct().Order()];
        }
        else
        {
            double step = NiceStep(dataMax / 5);
            min = 0;
            max = Math.Ceiling(dataMax * 1.05 / step) * step;
            Ticks = [.. Enumerable.Range(0, (int)Math.Round(max / step) + 1).Select(i => i * step)];
        }
    }

    public IReadOnlyList<double> Ticks { get; }

    public double Map(double value)
    {
        double v = log ? Math.Log(Math.Max(value, 1e-12)) : value;
        return pixelStart + (v - min) / (max - min) * (pixelEnd - pixelStart);
    }

    /// <summary>A short tick label: 1500 → "1.5k", 0.25 → "0.25".</summary>
    public static string Label(double value) => value >= 1000
        ? (value / 1000).ToString("0.#", CultureInfo.InvariantCulture) + "k"
        : value.ToString(value >= 10 ? "0" : "0.##", CultureInfo.InvariantCulture);

    // 1, 2 or 5 times a power of ten, at least rough.
    private static double NiceStep(double rough)
    {
        double power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double f = rough / power;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
    }
}
