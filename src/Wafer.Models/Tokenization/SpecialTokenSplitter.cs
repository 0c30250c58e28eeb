namespace Wafer.Models.Tokenization;

/// <summary>Splits input text around special-token text (llama.cpp's <c>tokenizer_st_partition</c>).</summary>
/// <remarks>
/// Special tokens are tried longest first; each one splits every remaining text fragment at every
/// occurrence. Control and unknown tokens are only matched when <c>parseSpecial</c> is set;
/// user-defined tokens are always matched, as Hugging Face tokenizers do.
/// </remarks>
internal static class SpecialTokenSplitter
{
    public static List<TokenFragment> Split(string text, Vocabulary vocabulary, IReadOnlyList<int> specialTokens, bool parseSpecial)
    {
        var fragments = new List<TokenFragment>();
        if (text.Length == 0) return fragments;
        fragments.Add(TokenFragment.Text(0, text.Length));
        foreach (int id in specialTokens)
        {
            var attributes = vocabulary.Attributes[id];
            if (!parseSpecial && (attributes & (TokenAttributes.Control | TokenAttributes.Unknown)) != 0) continue;
            string tokenText = vocabulary.Tokens[id];
            if (text.Contains(tokenText, StringComparison.Ordinal)) fragments = SplitAll(text, fragments, id, tokenText, attributes);
        }
        return fragments;
    }

    private static List<TokenFragment> SplitAll(string text, List<TokenFragment> fragments, int id, string tokenText, TokenAttributes attributes)
    {
        var result = new List<TokenFragment>(fragments.Count + 2);
        foreach (var fragment in fragments)
        {
            if (!fragment.IsText) { result.Add(fragment); continue; }
            int offset = fragment.Offset, length = fragment.Length;
            while (true)
            {
                int match = text.IndexOf(tokenText, offset, length, StringComparison.Ordinal);
                if (match < 0) { result.Add(TokenFragment.Text(offset, length)); break; }
                int leftLength = match - offset;
                if ((attributes & TokenAttributes.LStrip) != 0)
                    while (leftLength > 0 && IsCSpace(text[offset + leftLength - 1])) leftLength--;
                if (leftLength > 0) result.Add(TokenFragment.Text(offset, leftLength));
                result.Add(TokenFragment.Token(id));
                int rightOffset = match + tokenText.Length;
                int rightLength = offset + length - rightOffset;
                if ((attributes & TokenAttributes.RStrip) != 0)
                    while (rightLength > 0 && IsCSpace(text[rightOffset])) { rightOffset++; rightLength--; }
                if (rightLength <= 0) break;
                offset = rightOffset;
                length = rightLength;
            }
        }
        return result;
    }

    // C's isspace() in the "C" locale, which llama.cpp uses for lstrip/rstrip.
    private static bool IsCSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';
}
