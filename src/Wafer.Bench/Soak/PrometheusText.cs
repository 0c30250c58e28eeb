using System.Globalization;

namespace Wafer.Bench.Soak;

/// <summary>Reads series out of a Prometheus text exposition (what <c>/metrics</c> answers).</summary>
internal static class PrometheusText
{
    /// <summary>The sum of every sample of metric <paramref name="name"/> over its label sets, or null when it has none.</summary>
    public static double? Sum(string text, string name)
    {
        double sum = 0;
        bool any = false;
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (line.IsEmpty || line[0] == '#' || !line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length) continue;
            char next = line[name.Length];
            if (next != ' ' && next != '{') continue;
            // name{labels} value [timestamp]: the value is the first field after the labels.
            var rest = next == '{' ? line[(line.IndexOf('}') + 1)..].TrimStart() : line[name.Length..].TrimStart();
            int space = rest.IndexOf(' ');
            if (space >= 0) rest = rest[..space];
            if (!double.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) continue;
            sum += value;
            any = true;
        }
        return any ? sum : null;
    }
}
