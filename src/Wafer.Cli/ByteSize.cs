using System.Globalization;
using System.Text.RegularExpressions;

namespace Wafer.Cli;

/// <summary>Sizes as people write them on a command line: <c>8G</c>, <c>8GiB</c>, <c>512M</c>, <c>1.5GB</c>, or bytes.
/// Every unit is binary (K = 1024), as llama.cpp and Ollama read memory sizes.</summary>
internal static partial class ByteSize
{
    public static long Parse(string text, string option)
    {
        var m = Pattern().Match(text.Trim());
        if (!m.Success || !double.TryParse(m.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double n))
            throw new ArgumentException($"{option} '{text}' is not a size; write e.g. 8G, 512M or a number of bytes");
        double scale = char.ToUpperInvariant(m.Groups["unit"].Value.FirstOrDefault()) switch
        {
            'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, 'T' => 1L << 40, _ => 1,
        };
        double bytes = n * scale;
        if (bytes < 1 || bytes > long.MaxValue / 2) throw new ArgumentException($"{option} '{text}' is out of range; write e.g. 8G or 512M");
        return (long)bytes;
    }

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<unit>([KMGT](i?B)?)|B)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
