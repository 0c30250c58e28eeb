using System.Text;

namespace Wafer.Models.Tokenization;

/// <summary>BERT's basic tokenizer as llama.cpp implements it: optional accent stripping and lowercasing, split on whitespace, punctuation and CJK ideographs.</summary>
internal sealed class WordPieceNormalizer(bool lowercase, bool stripAccents)
{
    public List<string> Words(ReadOnlySpan<char> text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            int cp = stripAccents ? FirstOfDecomposition(rune.Value) : rune.Value;
            var flags = Codepoints.Flags(cp);
            if ((flags & CodepointFlags.Whitespace) != 0) { Finish(words, current); continue; }
            if (cp == 0 || cp == 0xFFFD || (flags & CodepointFlags.Control) != 0) continue;
            if (stripAccents && (flags & CodepointFlags.AccentMark) != 0) continue;
            var output = new Rune(cp);
            if (lowercase) output = Rune.ToLowerInvariant(output);
            if ((flags & CodepointFlags.Punctuation) != 0 || (cp < 0x7F && (flags & CodepointFlags.Symbol) != 0) || IsChineseCharacter(cp))
            {
                Finish(words, current);
                words.Add(output.ToString());
            }
            else
            {
                current.Append(output.ToString());
            }
        }
        Finish(words, current);
        return words;
    }

    private static void Finish(List<string> words, StringBuilder current)
    {
        if (current.Length == 0) return;
        words.Add(current.ToString());
        current.Clear();
    }

    // llama.cpp's NFD table keeps only the first codepoint of each canonical decomposition (é → e).
    private static int FirstOfDecomposition(int cp) => NfdFirstCodepoint.Of(cp);

    // The ranges Hugging Face's BERT tokenizer treats as CJK (0x2B920 start copied from its Rust code).
    private static bool IsChineseCharacter(int cp) =>
        cp is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF) or (>= 0x2A700 and <= 0x2B73F)
            or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B920 and <= 0x2CEAF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
}
