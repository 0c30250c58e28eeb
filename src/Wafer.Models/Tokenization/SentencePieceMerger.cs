using System.Text;

namespace Wafer.Models.Tokenization;

/// <summary>One SentencePiece merge session over a ▁-escaped text (llama.cpp's <c>llm_tokenizer_spm_session</c>).</summary>
/// <remarks>
/// Start from single characters; repeatedly merge the adjacent pair whose concatenation is the
/// highest-scoring vocabulary token (ties: leftmost); then emit each final symbol, splitting symbols
/// that are not tokens back along the merges that made them, down to byte-fallback tokens.
/// </remarks>
internal sealed class SentencePieceMerger(Vocabulary vocabulary, int[] byteTokens)
{
    private struct Symbol
    {
        public int Prev;
        public int Next;
        public int Start;  // offset into the text, in UTF-16 chars
        public int Length; // 0 once merged into its left neighbour
    }

    private readonly record struct Bigram(int Left, int Right, float Score, int Length);

    /// <summary>Highest score first, then the leftmost pair.</summary>
    private sealed class BigramOrder : IComparer<Bigram>
    {
        public static readonly BigramOrder Instance = new();

        public int Compare(Bigram x, Bigram y)
        {
            int byScore = y.Score.CompareTo(x.Score);
            return byScore != 0 ? byScore : x.Left.CompareTo(y.Left);
        }
    }

    private readonly List<Symbol> _symbols = [];
    private readonly PriorityQueue<Bigram, Bigram> _queue = new(BigramOrder.Instance);
    private readonly Dictionary<string, (int Left, int Right)> _reverseMerges = new(StringComparer.Ordinal);
    private string _text = "";

    public void Tokenize(string text, List<int> output)
    {
        _text = text;
        _symbols.Clear();
        _queue.Clear();
        _reverseMerges.Clear();
        SplitCharacters();
        for (int i = 1; i < _symbols.Count; i++) TryAddBigram(i - 1, i);
        MergeAll();
        for (int i = _symbols.Count == 0 ? -1 : 0; i != -1; i = _symbols[i].Next) Resegment(i, output);
    }

    private void SplitCharacters()
    {
        int offset = 0;
        while (offset < _text.Length)
        {
            int length = char.IsHighSurrogate(_text[offset]) && offset + 1 < _text.Length && char.IsLowSurrogate(_text[offset + 1]) ? 2 : 1;
            int index = _symbols.Count;
            offset += length;
            _symbols.Add(new Symbol { Prev = index - 1, Next = offset == _text.Length ? -1 : index + 1, Start = offset - length, Length = length });
        }
    }

    private void MergeAll()
    {
        var symbols = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_symbols);
        while (_queue.TryDequeue(out var bigram, out _))
        {
            ref var left = ref symbols[bigram.Left];
            ref var right = ref symbols[bigram.Right];
            // Skip pairs whose symbols have changed since the pair was queued.
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Length) continue;
            left.Length += right.Length;
            right.Length = 0;
            left.Next = right.Next;
            if (right.Next >= 0) symbols[right.Next].Prev = bigram.Left;
            TryAddBigram(left.Prev, bigram.Left);
            TryAddBigram(bigram.Left, left.Next);
        }
    }

    private void TryAddBigram(int left, int right)
    {
        if (left == -1 || right == -1) return;
        string text = _text.Substring(_symbols[left].Start, _symbols[left].Length + _symbols[right].Length);
        int id = vocabulary.Find(text);
        if (id < 0) return;
        _queue.Enqueue(new Bigram(left, right, vocabulary.Scores[id], text.Length), new Bigram(left, right, vocabulary.Scores[id], text.Length));
        _reverseMerges[text] = (left, right);
    }

    private void Resegment(int index, List<int> output)
    {
        var symbol = _symbols[index];
        var text = _text.AsSpan(symbol.Start, symbol.Length);
        int id = vocabulary.Find(text);
        if (id >= 0) { output.Add(id); return; }
        if (_reverseMerges.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text, out var parts))
        {
            Resegment(parts.Left, output);
            Resegment(parts.Right, output);
            return;
        }
        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
        int count = Encoding.UTF8.GetBytes(text, bytes);
        foreach (byte b in bytes[..count])
        {
            int byteId = byteTokens[b];
            if (byteId < 0) throw new InvalidOperationException($"the vocabulary has no token for byte 0x{b:X2}, so this text cannot be tokenized");
            output.Add(byteId);
        }
    }
}
