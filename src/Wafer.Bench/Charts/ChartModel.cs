namespace Wafer.Bench.Charts;

/// <summary>A line chart to draw: titled axes and series of (x, y) points; the renderer chooses scales and layout.</summary>
internal sealed record ChartModel(string Title, string XLabel, string YLabel, bool LogX, IReadOnlyList<ChartSeries> Series);

/// <summary>One line of a chart: its name in the legend, its colour (a palette index), whether it is dashed, and its points in x
/// order; <paramref name="MarkersOnly"/> draws the points without the line (settings that are not a sequence).</summary>
internal sealed record ChartSeries(string Name, int ColorIndex, bool Dashed, IReadOnlyList<(double X, double Y)> Points, bool MarkersOnly = false);
