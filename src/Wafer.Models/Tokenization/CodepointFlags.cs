using System.Globalization;

namespace Wafer.Models.Tokenization;

/// <summary>llama.cpp's per-codepoint category flags (<c>unicode_cpt_flags</c>), derived from .NET's Unicode data.</summary>
/// <remarks>
/// One general-category flag per codepoint plus <see cref="Whitespace"/> (the Unicode White_Space
/// property). <see cref="None"/> stands for "outside the text", which no category matches.
/// .NET's Unicode tables may be a version newer than llama.cpp's for recently assigned codepoints.
/// </remarks>
[Flags]
internal enum CodepointFlags
{
    None = 0,
    Undefined = 1 << 0,
    Number = 1 << 1,
    Letter = 1 << 2,
    Separator = 1 << 3,
    AccentMark = 1 << 4,
    Punctuation = 1 << 5,
    Symbol = 1 << 6,
    Control = 1 << 7,
    Whitespace = 1 << 8,

    /// <summary>The general-category part (without <see cref="Whitespace"/>).</summary>
    CategoryMask = Undefined | Number | Letter | Separator | AccentMark | Punctuation | Symbol | Control,
}

/// <summary>Looks up <see cref="CodepointFlags"/> for a codepoint.</summary>
internal static class Codepoints
{
    // The pre-tokenizers ask for the flags of every codepoint several times; the BMP is tabulated once (128 KiB).
    private static readonly ushort[] BmpFlags = BuildBmpFlags();

    public static CodepointFlags Flags(int codepoint) =>
        (uint)codepoint <= 0xFFFF ? (CodepointFlags)BmpFlags[codepoint] : ComputeFlags(codepoint);

    private static CodepointFlags ComputeFlags(int codepoint)
    {
        if ((uint)codepoint > 0x10FFFF) return CodepointFlags.Undefined;
        var flags = Category(CharUnicodeInfo.GetUnicodeCategory(codepoint));
        if (IsWhitespace(codepoint)) flags |= CodepointFlags.Whitespace;
        return flags;
    }

    private static ushort[] BuildBmpFlags()
    {
        var table = new ushort[0x10000];
        for (int cp = 0; cp < table.Length; cp++) table[cp] = (ushort)ComputeFlags(cp);
        return table;
    }

    /// <summary>The Unicode White_Space property (what llama.cpp's <c>unicode_set_whitespace</c> lists).</summary>
    public static bool IsWhitespace(int codepoint) => codepoint <= 0xFFFF && char.IsWhiteSpace((char)codepoint);

    /// <summary>The codepoints of a string; unpaired surrogates become U+FFFD, as llama.cpp does for invalid UTF-8.</summary>
    public static int[] FromString(ReadOnlySpan<char> text)
    {
        var result = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes()) result.Add(rune.Value);
        return [.. result];
    }

    public static string ToString(ReadOnlySpan<int> codepoints)
    {
        var builder = new System.Text.StringBuilder(codepoints.Length + 8);
        Span<char> pair = stackalloc char[2];
        foreach (int cp in codepoints)
        {
            if (cp <= 0xFFFF) builder.Append((char)cp);
            else builder.Append(pair[..new System.Text.Rune(cp).EncodeToUtf16(pair)]);
        }
        return builder.ToString();
    }

    private static CodepointFlags Category(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CodepointFlags.Letter,
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => CodepointFlags.AccentMark,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CodepointFlags.Number,
        UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => CodepointFlags.Separator,
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse => CodepointFlags.Control,
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation => CodepointFlags.Punctuation,
        UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol => CodepointFlags.Symbol,
        _ => CodepointFlags.Undefined,
    };
}
