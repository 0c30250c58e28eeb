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

    /// <summary>The quantization a GGUF's <c>general.file_type</c> names (llama.cpp's <c>llama_ftype</c>), or null.</summary>
    public static string? FromFileType(long fileType) => fileType switch
    {
        0 => "F32", 1 => "F16", 2 => "Q4_0", 3 => "Q4_1", 7 => "Q8_0", 8 => "Q5_0", 9 => "Q5_1", 10 => "Q2_K", 11 => "Q3_K_S",
        12 => "Q3_K_M", 13 => "Q3_K_L", 14 => "Q4_K_S", 15 => "Q4_K_M", 16 => "Q5_K_S", 17 => "Q5_K_M", 18 => "Q6_K", 19 => "IQ2_XXS",
        20 => "IQ2_XS", 21 => "Q2_K_S", 22 => "IQ3_XS", 23 => "IQ3_XXS", 24 => "IQ1_S", 25 => "IQ4_NL", 26 => "IQ3_S", 27 => "IQ3_M",
        28 => "IQ2_S", 29 => "IQ2_M", 30 => "IQ4_XS", 31 => "IQ1_M", 32 => "BF16", 36 => "TQ1_0", 37 => "TQ2_0", 38 => "MXFP4",
        _ => null,
    };

    [GeneratedRegex(@"(?<![A-Za-z0-9])(?<tag>(?:I?Q[1-8]_(?:K(?:_[SMLX]{1,2})?|[0-9](?:_[0-9])?|NL|XXS|XS|S|M|L)|TQ[12]_0|BF16|F16|F32|MXFP4))(?![A-Za-z0-9])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();
}
