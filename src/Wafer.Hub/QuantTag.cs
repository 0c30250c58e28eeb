using System.Text.RegularExpressions;

namespace Wafer.Hub;

/// <summary>Quantization tags in GGUF file names (<c>…-Q4_K_M.gguf</c>).</summary>
public static partial class QuantTag
{
    /// <summary>The quantization tag a file name carries (upper case), or null.</summary>
    public static string? FromFileName(string fileName)
    {
        string name = Path.GetFileName(fileName);
        var matches = TagPattern().Matches(name);
        return matches.Count == 0 ? null : matches[^1].Groups["tag"].Value.ToUpperInvariant();
    }

    /// <summary>True when <paramref name="fileName"/> (or a folder of its path) carries the tag <paramref name="quant"/>,
    /// compared case-insensitively as a whole word (Q4_K does not match Q4_K_M).</summary>
    public static bool Matches(string filePath, string quant)
    {
        foreach (var segment in filePath.Split('/'))
            foreach (Match m in TagPattern().Matches(segment))
                if (string.Equals(m.Groups["tag"].Value, quant, StringComparison.OrdinalIgnoreCase)) return true;
        // Tags outside the known pattern (a publisher's own, e.g. "UD-Q4_K_XL"): a whole-word match in the name.
        return Regex.IsMatch(filePath, $@"(^|[-._/]){Regex.Escape(quant)}([-._/]|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }

    [GeneratedRegex(@"(?<![A-Za-z0-9])(?<tag>(?:I?Q[1-8]_(?:K(?:_[SMLX]{1,2})?|[0-9](?:_[0-9])?|NL|XXS|XS|S|M|L)|TQ[12]_0|BF16|F16|F32|MXFP4))(?![A-Za-z0-9])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();
}
