namespace Wafer.Engine.Speculation;

/// <summary>N-gram (prompt lookup) drafts: the tokens that followed the latest earlier occurrence of the sequence's last n
/// tokens, looked up first in a prediction the request gave (Predicted Outputs), then in the prompt and output so far.</summary>
/// <remarks>Longer n-grams are tried first (a longer match predicts better). A scan of the history, O(length × n) per call:
/// a few microseconds for a few thousand tokens, against milliseconds for a forward pass.</remarks>
public static class NgramProposer
{
    /// <summary>Writes up to <paramref name="draft"/>.Length draft tokens for <paramref name="history"/> and returns how many.</summary>
    public static int Propose(ReadOnlySpan<int> history, ReadOnlySpan<int> prediction, int minN, int maxN, Span<int> draft)
    {
        if (draft.IsEmpty) return 0;
        for (int n = Math.Min(maxN, history.Length); n >= minN; n--)
        {
            var pattern = history[^n..];
            if (!prediction.IsEmpty && Find(prediction, pattern, prediction.Length - n) is int p and >= 0)
                return Copy(prediction, p + n, draft);
            if (Find(history, pattern, history.Length - n - 1) is int h and >= 0)
                return Copy(history, h + n, draft);
        }
        return 0;
    }

    // The latest start ≤ last where pattern occurs in text and at least one token follows it, or −1.
    private static int Find(ReadOnlySpan<int> text, ReadOnlySpan<int> pattern, int last)
    {
        for (int i = Math.Min(last, text.Length - pattern.Length - 1); i >= 0; i--)
            if (text[i] == pattern[0] && text.Slice(i, pattern.Length).SequenceEqual(pattern)) return i;
        return -1;
    }

    private static int Copy(ReadOnlySpan<int> source, int from, Span<int> draft)
    {
        int count = Math.Min(draft.Length, source.Length - from);
        source.Slice(from, count).CopyTo(draft);
        return count;
    }
}
