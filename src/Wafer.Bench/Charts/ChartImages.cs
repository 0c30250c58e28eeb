using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace Wafer.Bench.Charts;

/// <summary>Renders charts with ScottPlot: each as a standalone SVG document, or side by side (two per row) in one PNG image.</summary>
internal static class ChartImages
{
    public const int ChartWidth = 560, ChartHeight = 340;
    private const int PerRow = 2;

    /// <summary>Skia's SVG backend has no path effects (it logs "Unsupported path effect" and draws dashes solid), so in SVG a
    /// dashed series is a thin line with open markers instead.</summary>
    public static string Svg(ChartModel chart) => Plot(chart, dashes: false).GetSvgXml(ChartWidth, ChartHeight);

    public static byte[] Png(IReadOnlyList<ChartModel> charts)
    {
        int columns = Math.Min(PerRow, Math.Max(charts.Count, 1)), rows = Math.Max(1, (charts.Count + PerRow - 1) / PerRow);
        using var surface = SKSurface.Create(new SKImageInfo(ChartWidth * columns, ChartHeight * rows));
        surface.Canvas.Clear(SKColors.White);
        for (int i = 0; i < charts.Count; i++)
        {
            using var image = SKImage.FromEncodedData(Plot(charts[i], dashes: true).GetImageBytes(ChartWidth, ChartHeight, ImageFormat.Png));
            surface.Canvas.DrawImage(image, i % PerRow * ChartWidth, i / PerRow * ChartHeight);
        }
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>One chart as a ScottPlot plot: a line with markers per series (dashed where asked), a legend, and a log10 x axis
    /// with decade ticks when the chart asks for one.</summary>
    internal static Plot Plot(ChartModel chart, bool dashes)
    {
        var plot = new Plot();
        plot.Title(chart.Title, size: 14);
        plot.XLabel(chart.XLabel, size: 12);
        plot.YLabel(chart.YLabel, size: 12);
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var series in chart.Series.Where(s => s.Points.Count > 0))
        {
            double[] xs = [.. series.Points.Select(p => chart.LogX ? Math.Log10(Math.Max(p.X, 1e-9)) : p.X)];
            double[] ys = [.. series.Points.Select(p => p.Y)];
            var line = plot.Add.Scatter(xs, ys, palette.GetColor(series.ColorIndex));
            line.LegendText = series.Name;
            line.LineWidth = series.Dashed && !dashes ? 1 : 2;
            line.MarkerSize = 6;
            if (series.MarkersOnly)
            {
                line.LineWidth = 0;
                line.MarkerSize = 10;
            }
            if (series.Dashed && dashes) line.LinePattern = LinePattern.Dashed;
            if (series.Dashed && !dashes) line.MarkerShape = MarkerShape.OpenCircle;
        }
        if (chart.LogX)
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = x => Math.Pow(10, x).ToString("0.###", CultureInfo.InvariantCulture),
            };
        plot.Axes.Bottom.TickLabelStyle.FontSize = 11;
        plot.Axes.Left.TickLabelStyle.FontSize = 11;
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }
}
