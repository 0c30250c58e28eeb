using System.Globalization;

namespace Wafer.Bench.Charts;

/// <summary>An <see cref="IChartSurface"/> that rasterises into an RGB pixel buffer: thick (optionally dashed) lines, dots, rectangles and 3×5 pixel text.</summary>
internal sealed class PngCanvas : IChartSurface
{
    private const double DashOn = 6, DashOff = 4;
    private readonly byte[] rgb; // [height, width, 3]

    public PngCanvas(int width, int height)
    {
        Width = width;
        Height = height;
        rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)0xFF);
    }

    public int Width { get; }

    public int Height { get; }

    public byte[] ToPng() => PngEncoder.Encode(rgb, Width, Height);

    public void Rectangle(double x, double y, double width, double height, string color)
    {
        var c = Parse(color);
        for (int py = (int)y; py < (int)(y + height); py++)
            for (int px = (int)x; px < (int)(x + width); px++) Set(px, py, c);
    }

    public void Line(double x1, double y1, double x2, double y2, string color, double width, bool dashed)
    {
        var c = Parse(color);
        double length = Math.Sqrt((x2 - x1) * (x2 - x1) + (y2 - y1) * (y2 - y1));
        int steps = Math.Max(1, (int)Math.Ceiling(length * 2));
        double r = Math.Max(width / 2, 0.5);
        for (int i = 0; i <= steps; i++)
        {
            double along = length * i / steps;
            if (dashed && along % (DashOn + DashOff) >= DashOn) continue;
            double t = (double)i / steps;
            Disc(x1 + (x2 - x1) * t, y1 + (y2 - y1) * t, r, c);
        }
    }

    public void Dot(double x, double y, double radius, string color) => Disc(x, y, radius, Parse(color));

    public void Text(double x, double y, string text, double size, string color, string anchor = "start", bool vertical = false)
    {
        var c = Parse(color);
        int scale = size >= 13 ? 3 : 2;
        double advance = (PixelFont.GlyphWidth + 1) * scale;
        double length = text.Length * advance - scale;
        double start = anchor switch { "middle" => -length / 2, "end" => -length, _ => 0 };
        for (int i = 0; i < text.Length; i++)
            for (int row = 0; row < PixelFont.GlyphHeight; row++)
                for (int col = 0; col < PixelFont.GlyphWidth; col++)
                {
                    if (!PixelFont.IsInk(text[i], col, row)) continue;
                    double u = start + i * advance + col * scale, v = (row - PixelFont.GlyphHeight) * scale;
                    // Vertical text reads bottom to top, as SVG's rotate(-90).
                    double px = vertical ? x + v : x + u, py = vertical ? y - u : y + v;
                    for (int dy = 0; dy < scale; dy++)
                        for (int dx = 0; dx < scale; dx++) Set((int)px + dx, (int)py + dy, c);
                }
    }

    private void Disc(double cx, double cy, double r, (byte R, byte G, byte B) c)
    {
        for (int py = (int)Math.Floor(cy - r); py <= (int)Math.Ceiling(cy + r); py++)
            for (int px = (int)Math.Floor(cx - r); px <= (int)Math.Ceiling(cx + r); px++)
                if ((px + 0.5 - cx) * (px + 0.5 - cx) + (py + 0.5 - cy) * (py + 0.5 - cy) <= r * r) Set(px, py, c);
    }

    private void Set(int x, int y, (byte R, byte G, byte B) c)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int i = (y * Width + x) * 3;
        rgb[i] = c.R;
        rgb[i + 1] = c.G;
        rgb[i + 2] = c.B;
    }

    /// <summary>Reads "#rrggbb".</summary>
    private static (byte R, byte G, byte B) Parse(string color) =>
        (byte.Parse(color.AsSpan(1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
         byte.Parse(color.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
         byte.Parse(color.AsSpan(5, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
}
