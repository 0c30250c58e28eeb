namespace Wafer.Models.Tokenization;

/// <summary>Hand-written GPT-2 pre-tokenizer, as llama.cpp's <c>unicode_regex_split_custom_gpt2</c>.</summary>
/// <remarks>Regex: <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>.</remarks>
internal static class Gpt2Splitter
{
    private const CodepointFlags WordClasses = CodepointFlags.Whitespace | CodepointFlags.Letter | CodepointFlags.Number;

    public static void Split(ReadOnlySpan<int> cps, int start, int length, List<int> lengths)
    {
        var s = new SegmentCursor(cps, start, length, lengths);
        for (int pos = start; pos < s.End;)
        {
            int cpt = s.At(pos);
            var flags = s.FlagsAt(pos);
            if (cpt == '\'' && pos + 1 < s.End)
            {
                int next = s.At(pos + 1);
                if (next is 's' or 't' or 'm' or 'd') { pos += s.AddWord(pos + 2); continue; }
                if (pos + 2 < s.End)
                {
                    int nextNext = s.At(pos + 2);
                    if ((next == 'r' && nextNext == 'e') || (next == 'v' && nextNext == 'e') || (next == 'l' && nextNext == 'l'))
                    {
                        pos += s.AddWord(pos + 3);
                        continue;
                    }
                }
            }
            var flags2 = cpt == ' ' ? s.FlagsAt(pos + 1) : flags;
            if (TryRun(ref s, ref pos, cpt, flags2, CodepointFlags.Letter)) continue;
            if (TryRun(ref s, ref pos, cpt, flags2, CodepointFlags.Number)) continue;
            if ((flags2 & WordClasses) == 0 && flags2 != CodepointFlags.None)
            {
                pos += cpt == ' ' ? 1 : 0;
                while ((flags2 & WordClasses) == 0 && flags2 != CodepointFlags.None) flags2 = s.FlagsAt(++pos);
                s.AddWord(pos);
                continue;
            }
            int whitespaces = 0;
            while ((s.FlagsAt(pos + whitespaces) & CodepointFlags.Whitespace) != 0) whitespaces++;
            if (whitespaces > 1 && s.At(pos + whitespaces) != SegmentCursor.OutOfRange)
            {
                pos += whitespaces - 1;
                s.AddWord(pos);
                continue;
            }
            if (whitespaces > 0)
            {
                pos += whitespaces;
                s.AddWord(pos);
                continue;
            }
            s.AddWord(++pos);
        }
    }

    // " ?\p{L}+" and " ?\p{N}+".
    private static bool TryRun(ref SegmentCursor s, ref int pos, int cpt, CodepointFlags flags2, CodepointFlags category)
    {
        if ((flags2 & category) == 0) return false;
        pos += cpt == ' ' ? 1 : 0;
        while ((flags2 & category) != 0) flags2 = s.FlagsAt(++pos);
        s.AddWord(pos);
        return true;
    }
}
