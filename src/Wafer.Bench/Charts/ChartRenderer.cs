namespace Wafer.Bench.Charts;

/// <summary>Lays out one line chart (title, grid, ticks, axis labels, series, legend) on any <see cref="IChartSurface"/>.</summary>
internal static class ChartRenderer
{
    public static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
    private const string Ink = "#222222", Grid = "#dddddd";
    private const double Left = 64, Right = 16, Top = 34, LegendRow = 16;

    public static double Height(ChartModel chart, double plotHeight) => Top + plotHeight + 44 + LegendRow * chart.Series.Count;

    /// <summary>Draws <paramref name="chart"/> in the box at (x0, y0) of the given width, with a plot area <paramref name="plotHeight"/> tall.</summary>
    public static void Draw(ChartModel chart, IChartSurface surface, double x0, double y0, double width, double plotHeight)
    {
        surface.Rectangle(x0, y0, width, Height(chart, plotHeight), "#ffffff");
        surface.Text(x0 + width / 2, y0 + 20, chart.Title, 14, Ink, "middle");
        double plotLeft = x0 + Left, plotRight = x0 + width - Right, plotTop = y0 + Top, plotBottom = plotTop + plotHeight;
        var points = chart.Series.SelectMany(s => s.Points).ToList();
        var xs = new AxisScale(points.Select(p => p.X).ToList(), chart.LogX, plotLeft, plotRight);
        var ys = new AxisScale(points.Select(p => p.Y).ToList(), log: false, plotBottom, plotTop);
        foreach (double t in ys.Ticks)
        {
            double y = ys.Map(t);
            surface.Line(plotLeft, y, plotRight, y, Grid, 1, dashed: false);
            surface.Text(plotLeft - 6, y + 4, AxisScale.Label(t), 11, Ink, "end");
        }
        foreach (double t in xs.Ticks)
        {
            double x = xs.Map(t);
            surface.Line(x, plotTop, x, plotBottom, Grid, 1, dashed: false);
            surface.Text(x, plotBottom + 15, AxisScale.Label(t), 11, Ink, "middle");
        }
        surface.Line(plotLeft, plotBottom, plotRight, plotBottom, Ink, 1, dashed: false);
        surface.Line(plotLeft, plotTop, plotLeft, plotBottom, Ink, 1, dashed: false);
        surface.Text((plotLeft + plotRight) / 2, plotBottom + 32, chart.XLabel, 12, Ink, "middle");
        surface.Text(x0 + 16, (plotTop + plotBottom) / 2, chart.YLabel, 12, Ink, "middle", vertical: true);
        foreach (var series in chart.Series) DrawSeries(series, surface, xs, ys);
        for (int i = 0; i < chart.Series.Count; i++)
        {
            var s = chart.Series[i];
            double y = plotBottom + 44 + LegendRow * i;
            surface.Line(plotLeft, y - 4, plotLeft + 24, y - 4, Palette[s.ColorIndex % Palette.Length], 2.5, s.Dashed);
            surface.Text(plotLeft + 32, y, s.Name, 11, Ink);
        }
    }

    private static void DrawSeries(ChartSeries series, IChartSurface surface, AxisScale xs, AxisScale ys)
    {
        string color = Palette[series.ColorIndex % Palette.Length];
        for (int i = 1; i < series.Points.Count; i++)
            surface.Line(xs.Map(series.Points[i - 1].X), ys.Map(series.Points[i - 1].Y), xs.Map(series.Points[i].X), ys.Map(series.Points[i].Y), color, 2.5, series.Dashed);
        foreach (var (x, y) in series.Points) surface.Dot(xs.Map(x), ys.Map(y), 3.5, color);
    }
}
