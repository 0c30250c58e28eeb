using System.Globalization;
using System.Net;
using System.Text;

namespace Wafer.Bench.Charts;

/// <summary>An <see cref="IChartSurface"/> that writes inline SVG elements.</summary>
internal sealed class SvgSurface(double width, double height) : IChartSurface
{
    private readonly StringBuilder svg = new();

    public void Rectangle(double x, double y, double w, double h, string color) =>
        Append($"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(w)}\" height=\"{N(h)}\" fill=\"{color}\"/>");

    public void Line(double x1, double y1, double x2, double y2, string color, double width, bool dashed) =>
        Append($"<line x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" stroke=\"{color}\" stroke-width=\"{N(width)}\"{(dashed ? " stroke-dasharray=\"6 4\"" : "")}/>");

    public void Dot(double x, double y, double radius, string color) =>
        Append($"<circle cx=\"{N(x)}\" cy=\"{N(y)}\" r=\"{N(radius)}\" fill=\"{color}\"/>");

    public void Text(double x, double y, string text, double size, string color, string anchor = "start", bool vertical = false) =>
        Append($"<text x=\"{N(x)}\" y=\"{N(y)}\" font-size=\"{N(size)}\" fill=\"{color}\" text-anchor=\"{anchor}\"{(vertical ? $" transform=\"rotate(-90 {N(x)} {N(y)})\"" : "")}>{WebUtility.HtmlEncode(text)}</text>");

    public override string ToString() =>
        $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" font-family=\"sans-serif\">\n{svg}</svg>";

    private void Append(string element) => svg.Append(element).Append('\n');

    private static string N(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
}
