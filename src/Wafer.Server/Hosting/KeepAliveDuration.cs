using System.Globalization;
using System.Text.RegularExpressions;

namespace Wafer.Server.Hosting;

/// <summary>Keep-alive durations as Ollama accepts them: seconds as a number, or a Go-style duration ("30s", "5m", "1h30m",
/// "250ms"); zero unloads at once, a negative value keeps the model loaded until the server stops.</summary>
public static partial class KeepAliveDuration
{
    /// <summary>The duration <paramref name="text"/> spells (<see cref="Timeout.InfiniteTimeSpan"/> when negative), or null.</summary>
    public static TimeSpan? TryParse(string text)
    {
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds)) return FromSeconds(seconds);
        var match = GoDuration().Match(text);
        if (!match.Success || text.Length == 1) return null;
        double total = 0;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = UnitOf().Match(part.Value);
            double value = double.Parse(part.Value[..unit.Index], CultureInfo.InvariantCulture);
            total += value * unit.Value switch { "h" => 3600, "m" => 60, "s" => 1, "ms" => 0.001, "us" or "µs" => 1e-6, _ => 1e-9 };
        }
        return FromSeconds(match.Groups["sign"].Value == "-" ? -total : total);
    }

    /// <summary>A keep-alive of <paramref name="seconds"/>: negative is forever.</summary>
    public static TimeSpan? FromSeconds(double seconds) =>
        !double.IsFinite(seconds) ? null : seconds < 0 ? Timeout.InfiniteTimeSpan : seconds > TimeSpan.MaxValue.TotalSeconds / 2 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds);

    [GeneratedRegex(@"^(?<sign>[-+]?)(?<part>\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$")]
    private static partial Regex GoDuration();

    [GeneratedRegex(@"(h|ms|m|s|us|µs|ns)$")]
    private static partial Regex UnitOf();
}
