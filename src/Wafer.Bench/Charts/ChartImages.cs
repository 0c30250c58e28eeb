namespace Wafer.Bench.Charts;

/// <summary>Renders charts as standalone SVG documents, or side by side (two per row) in one PNG image.</summary>
internal static class ChartImages
{
    public const double ChartWidth = 560, PlotHeight = 260;

    public static string Svg(ChartModel chart)
    {
        double height = ChartRenderer.Height(chart, PlotHeight);
        var svg = new SvgSurface(ChartWidth, height);
        ChartRenderer.Draw(chart, svg, 0, 0, ChartWidth, PlotHeight);
        return svg.ToString();
    }

    public static byte[] Png(IReadOnlyList<ChartModel> charts)
    {
        const int perRow = 2;
        int rows = (charts.Count + perRow - 1) / perRow;
        double cellHeight = charts.Count == 0 ? 1 : charts.Max(c => ChartRenderer.Height(c, PlotHeight));
        var canvas = new PngCanvas((int)ChartWidth * Math.Min(perRow, Math.Max(charts.Count, 1)), (int)Math.Ceiling(cellHeight * Math.Max(rows, 1)));
        for (int i = 0; i < charts.Count; i++)
            ChartRenderer.Draw(charts[i], canvas, i % perRow * ChartWidth, i / perRow * cellHeight, ChartWidth, PlotHeight);
        return canvas.ToPng();
    }
}
