namespace Wafer.Bench.Charts;

/// <summary>Where a chart is drawn (an SVG document or a PNG raster): lines, dots, rectangles and text in pixel coordinates, y down.</summary>
internal interface IChartSurface
{
    void Rectangle(double x, double y, double width, double height, string color);

    void Line(double x1, double y1, double x2, double y2, string color, double width, bool dashed);

    void Dot(double x, double y, double radius, string color);

    /// <summary>Text whose baseline starts at (x, y); <paramref name="anchor"/> is "start", "middle" or "end".</summary>
    void Text(double x, double y, string text, double size, string color, string anchor = "start", bool vertical = false);
}
