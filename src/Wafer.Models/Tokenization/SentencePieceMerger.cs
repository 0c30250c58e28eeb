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

    private readonly record struct Bigram(int Left, int Right, int Length);

    private readonly List<Symbol> _symbols = [];

    // Highest score first, then the leftmost pair: one long compares both (see Priority).
    private readonly PriorityQueue<Bigram, long> _queue = new();
    private string _text = "";

    /// <summary>Tokenizes <c>text[start..(start + length)]</c> as one session.</summary>
    public void Tokenize(string text, int start, int length, List<int> output)
    {
        _text = text;
        _symbols.Clear();
        _queue.Clear();
        SplitCharacters(start, start + length);
        for (int i = 1; i < _symbols.Count; i++) TryAddBigram(i - 1, i);
        MergeAll();
        for (int i = _symbols.Count == 0 ? -1 : 0; i != -1; i = _symbols[i].Next) Resegment(i, output);
    }

    private void SplitCharacters(int offset, int end)
    {
        while (offset < end)
        {
            int length = char.IsHighSurrogate(_text[offset]) && offset + 1 < end && char.IsLowSurrogate(_text[offset + 1]) ? 2 : 1;
            int index = _symbols.Count;
            offset += length;
            _symbols.Add(new Symbol { Prev = index - 1, Next = offset == end ? -1 : index + 1, Start = offset - length, Length = length });
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
        int length = _symbols[left].Length + _symbols[right].Length;
        int id = vocabulary.Find(_text.AsSpan(_symbols[left].Start, length));
        if (id < 0) return;
        _queue.Enqueue(new Bigram(left, right, length), Priority(vocabulary.Scores[id], left));
    }

    /// <summary>A key whose ascending order is descending score, then ascending left index.</summary>
    private static long Priority(float score, int left)
    {
        // Map the float to an unsigned integer with the same order as float.CompareTo (-0 equals +0, NaN
        // lowest), invert it so higher scores come first, and append the index; flipping the sign bit
        // keeps the unsigned order in a signed long.
        uint bits = BitConverter.SingleToUInt32Bits(score == 0 ? 0f : score);
        uint ordered = float.IsNaN(score) ? 0 : (bits & 0x8000_0000) != 0 ? ~bits : bits | 0x8000_0000;
        return (long)((((ulong)~ordered << 32) | (uint)left) ^ 0x8000_0000_0000_0000UL);
    }

    private void Resegment(int index, List<int> output)
    {
        var symbol = _symbols[index];
        var text = _text.AsSpan(symbol.Start, symbol.Length);
        int id = vocabulary.Find(text);
        if (id >= 0) { output.Add(id); return; }
        // llama.cpp then looks the text up in its reverse-merge map, but every merge it records is a
        // vocabulary token, so that lookup cannot succeed here: unmatched symbols are single characters.
        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
        int count = Encoding.UTF8.GetBytes(text, bytes);
        foreach (byte b in bytes[..count])
        {
            int byteId = byteTokens[b];
            if (byteId < 0) throw new UntokenizableTextException($"the model's vocabulary has no token for byte 0x{b:X2} (and no byte fallback), so this text cannot be tokenized; remove the character or use another model");
            output.Add(byteId);
        }
    }
}
