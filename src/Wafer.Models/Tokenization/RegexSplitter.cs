using System.Text;
using System.Text.RegularExpressions;

namespace Wafer.Models.Tokenization;

/// <summary>A pre-tokenizer regex run the way llama.cpp's <c>unicode_regex_split</c> runs it through <c>std::regex</c>.</summary>
/// <remarks>
/// llama.cpp does not evaluate Unicode categories per codepoint: it "collapses" the text, replacing
/// every non-ASCII codepoint by one byte standing for its category (0xD1 number, 0xD2 letter, 0xD3
/// punctuation, 0xD4 mark, 0xD5 symbol, 0xD0 other, 0x0B whitespace), and rewrites <c>\p{X}</c>
/// into a class of that byte plus the category's ASCII members. Regexes without categories run on
/// the codepoints with non-ASCII whitespace replaced by 0x0B. Both keep one character per
/// codepoint, which is reproduced here (astral codepoints become U+E000 on the second path, so
/// they match only negated classes, as a 32-bit wchar_t would for these patterns). ECMAScript mode
/// gives the same ASCII-only <c>\s</c> as std::regex.
/// </remarks>
internal sealed class RegexSplitter
{
    private static readonly (string Name, CodepointFlags Category)[] Categories =
    [
        (@"\p{N}", CodepointFlags.Number), (@"\p{L}", CodepointFlags.Letter), (@"\p{P}", CodepointFlags.Punctuation),
        (@"\p{M}", CodepointFlags.AccentMark), (@"\p{S}", CodepointFlags.Symbol), (@"\p{Lu}", CodepointFlags.Letter),
        (@"\p{Ll}", CodepointFlags.Letter), (@"\p{Lt}", CodepointFlags.Letter), (@"\p{Lm}", CodepointFlags.Letter), (@"\p{Lo}", CodepointFlags.Letter),
    ];

    private readonly Regex _regex;

    public RegexSplitter(string pattern)
    {
        UsesCategories = UsesAnyCategory(pattern);
        string converted = UsesCategories ? Collapse(pattern) : pattern;
        _regex = new Regex(converted, RegexOptions.ECMAScript | RegexOptions.CultureInvariant | RegexOptions.Compiled);
    }

    /// <summary>Whether this regex runs on the collapsed text.</summary>
    public bool UsesCategories { get; }

    public static bool UsesAnyCategory(string pattern) => Categories.Any(c => pattern.Contains(c.Name, StringComparison.Ordinal));

    /// <summary>Splits each segment into matches and the gaps between them.</summary>
    public List<int> Split(string text, List<int> segments)
    {
        var result = new List<int>(segments.Count);
        int start = 0;
        foreach (int length in segments)
        {
            string segment = text.Substring(start, length);
            int previousEnd = 0;
            for (var m = _regex.Match(segment); m.Success; m = m.NextMatch())
            {
                if (m.Index > previousEnd) result.Add(m.Index - previousEnd);
                result.Add(m.Length);
                previousEnd = m.Index + m.Length;
            }
            if (previousEnd < length) result.Add(length - previousEnd);
            start += length;
        }
        return result;
    }

    /// <summary>One character per codepoint, categories collapsed (for regexes with <c>\p{…}</c>).</summary>
    public static string CollapsedText(ReadOnlySpan<int> codepoints)
    {
        var chars = new char[codepoints.Length];
        for (int i = 0; i < codepoints.Length; i++)
        {
            int cp = codepoints[i];
            if (cp < 128) { chars[i] = (char)cp; continue; }
            var flags = Codepoints.Flags(cp);
            chars[i] = (flags & CodepointFlags.Whitespace) != 0 ? '\v' : (char)CollapsedCode(flags & CodepointFlags.CategoryMask);
        }
        return new string(chars);
    }

    /// <summary>One character per codepoint, non-ASCII whitespace as 0x0B (for regexes without categories).</summary>
    public static string WideText(ReadOnlySpan<int> codepoints)
    {
        var chars = new char[codepoints.Length];
        for (int i = 0; i < codepoints.Length; i++)
        {
            int cp = codepoints[i];
            chars[i] = cp > 0x7F && Codepoints.IsWhitespace(cp) ? '\v' : cp > 0xFFFF ? '\uE000' : (char)cp;
        }
        return new string(chars);
    }

    private static int CollapsedCode(CodepointFlags category) => category switch
    {
        CodepointFlags.Number => 0xD1,
        CodepointFlags.Letter => 0xD2,
        CodepointFlags.Punctuation => 0xD3,
        CodepointFlags.AccentMark => 0xD4,
        CodepointFlags.Symbol => 0xD5,
        _ => 0xD0,
    };

    // The ASCII members of each category, as regex class content.
    private static string AsciiMembers(CodepointFlags category) => category switch
    {
        CodepointFlags.Number => "0-9",
        CodepointFlags.Letter => "A-Za-z",
        CodepointFlags.Punctuation => @"!-#%-*,-/:-;?-@\[-\]_\{\}",
        CodepointFlags.Symbol => @"\$\+<->\^`\|",
        _ => "",
    };

    private static string Collapse(string pattern)
    {
        var result = new StringBuilder(pattern.Length * 2);
        bool inside = false; // nested classes do not occur in these patterns
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '[' && (i == 0 || pattern[i - 1] != '\\')) { result.Append('['); inside = true; continue; }
            if (inside && c == ']' && pattern[i - 1] != '\\') { result.Append(']'); inside = false; continue; }
            if (c == '\\' && i + 3 < pattern.Length && pattern[i + 1] == 'p' && pattern[i + 2] == '{')
            {
                int close = pattern.IndexOf('}', i + 3);
                if (close >= 0 && close <= i + 10)
                {
                    string name = pattern[i..(close + 1)];
                    int index = Array.FindIndex(Categories, k => k.Name == name);
                    if (index >= 0)
                    {
                        var category = Categories[index].Category;
                        if (!inside) result.Append('[');
                        result.Append((char)CollapsedCode(category)).Append(AsciiMembers(category));
                        if (!inside) result.Append(']');
                        i = close;
                        continue;
                    }
                }
            }
            result.Append(c);
        }
        return result.ToString();
    }
}
