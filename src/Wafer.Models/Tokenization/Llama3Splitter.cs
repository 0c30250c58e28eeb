namespace Wafer.Models.Tokenization;

/// <summary>Hand-written Llama-3 pre-tokenizer, as llama.cpp's <c>unicode_regex_split_custom_llama3</c>.</summary>
/// <remarks>Regex: <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>.</remarks>
internal static class Llama3Splitter
{
    private const CodepointFlags WordClasses = CodepointFlags.Whitespace | CodepointFlags.Letter | CodepointFlags.Number;

    public static void Split(ReadOnlySpan<int> cps, int start, int length, List<int> lengths)
    {
        var s = new SegmentCursor(cps, start, length, lengths);
        for (int pos = start; pos < s.End;)
        {
            int cpt = s.At(pos);
            var flags = s.FlagsAt(pos);
            if (TryContraction(ref s, ref pos, cpt)) continue;
            if (!(cpt == '\r' || cpt == '\n' || (flags & CodepointFlags.Number) != 0)
                && ((flags & CodepointFlags.Letter) != 0 || (s.FlagsAt(pos + 1) & CodepointFlags.Letter) != 0))
            {
                pos++;
                while ((s.FlagsAt(pos) & CodepointFlags.Letter) != 0) pos++;
                s.AddWord(pos);
                continue;
            }
            if ((flags & CodepointFlags.Number) != 0)
            {
                int first = pos;
                while ((s.FlagsAt(pos) & CodepointFlags.Number) != 0)
                {
                    if (++pos - first >= 3) { s.AddWord(pos); first = pos; }
                }
                s.AddWord(pos);
                continue;
            }
            var flags2 = cpt == ' ' ? s.FlagsAt(pos + 1) : flags;
            // llama.cpp tests the current character's flags (not flags2) for "is a character" here.
            if ((flags2 & WordClasses) == 0 && flags != CodepointFlags.None)
            {
                pos += cpt == ' ' ? 1 : 0;
                while ((flags2 & WordClasses) == 0 && flags2 != CodepointFlags.None) flags2 = s.FlagsAt(++pos);
                int cpt2 = s.At(pos);
                while (cpt2 is '\r' or '\n') cpt2 = s.At(++pos);
                s.AddWord(pos);
                continue;
            }
            SplitWhitespace(ref s, ref pos);
        }
    }

    private static bool TryContraction(ref SegmentCursor s, ref int pos, int cpt)
    {
        if (cpt != '\'' || pos + 1 >= s.End) return false;
        int next = ToLower(s.At(pos + 1));
        if (next is 's' or 't' or 'm' or 'd') { pos += s.AddWord(pos + 2); return true; }
        if (pos + 2 >= s.End) return false;
        int nextNext = ToLower(s.At(pos + 2));
        if ((next == 'r' && nextNext == 'e') || (next == 'v' && nextNext == 'e') || (next == 'l' && nextNext == 'l'))
        {
            pos += s.AddWord(pos + 3);
            return true;
        }
        return false;
    }

    private static void SplitWhitespace(ref SegmentCursor s, ref int pos)
    {
        int whitespaces = 0, lastLineEnd = 0;
        while ((s.FlagsAt(pos + whitespaces) & CodepointFlags.Whitespace) != 0)
        {
            int c = s.At(pos + whitespaces);
            if (c is '\r' or '\n') lastLineEnd = pos + whitespaces + 1;
            whitespaces++;
        }
        if (lastLineEnd > 0) { pos = lastLineEnd; s.AddWord(pos); return; }
        if (whitespaces > 1 && s.At(pos + whitespaces) != SegmentCursor.OutOfRange) { pos += whitespaces - 1; s.AddWord(pos); return; }
        if (whitespaces > 0) { pos += whitespaces; s.AddWord(pos); return; }
        s.AddWord(++pos);
    }

    private static int ToLower(int cp) => cp < 0 ? cp : System.Text.Rune.ToLowerInvariant(new System.Text.Rune(cp)).Value;
}
