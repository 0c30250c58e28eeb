using System.Text;

namespace Wafer.Models.Tokenization;

/// <summary>Merges the characters of one pre-tokenized word by BPE rank (llama.cpp's <c>llm_tokenizer_bpe_session</c>).</summary>
/// <remarks>
/// Repeatedly merge the adjacent pair with the lowest merge rank (ties: leftmost). Final symbols
/// that are not vocabulary tokens fall back to their single-character tokens, characters without a
/// token being dropped, as llama.cpp does.
/// </remarks>
internal sealed class BytePairMerger(Vocabulary vocabulary, Dictionary<string, int> ranks, bool ignoreMerges, bool byteEncoded, bool keepNewlineRuns)
{
    private struct Symbol
    {
        public int Prev;
        public int Next;
        public int Start;
        public int Length;
    }

    /// <summary>A candidate merge; the symbols' lengths when it was queued tell a stale entry from a live one.</summary>
    private readonly record struct Bigram(int Left, int Right, int Length);

    private readonly List<Symbol> _symbols = [];
    private readonly PriorityQueue<Bigram, (int Rank, int Left)> _queue = new();
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _rankLookup = ranks.GetAlternateLookup<ReadOnlySpan<char>>();
    private char[] _pair = new char[64]; // "left right" lookup key, reused
    private string _word = "";

    public void Tokenize(string word, List<int> output)
    {
        // Gemma 4 keeps a run of newlines whole when the vocabulary has it (llama.cpp PR 21343).
        bool wholeWord = ignoreMerges || (keepNewlineRuns && word.AsSpan().TrimStart('\n').IsEmpty);
        if (wholeWord && vocabulary.Find(word) is int whole and >= 0)
        {
            output.Add(whole);
            return;
        }
        _word = word;
        _symbols.Clear();
        _queue.Clear();
        for (int offset = 0; offset < word.Length;)
        {
            int length = char.IsHighSurrogate(word[offset]) && offset + 1 < word.Length ? 2 : 1;
            int index = _symbols.Count;
            _symbols.Add(new Symbol { Prev = index - 1, Next = offset + length == word.Length ? -1 : index + 1, Start = offset, Length = length });
            offset += length;
        }
        for (int i = 1; i < _symbols.Count; i++) TryAddBigram(i - 1, i);
        MergeAll();
        for (int i = 0; i < _symbols.Count; i++) if (_symbols[i].Length > 0) Emit(_symbols[i], output);
    }

    private void MergeAll()
    {
        var symbols = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_symbols);
        while (_queue.TryDequeue(out var bigram, out _))
        {
            ref var left = ref symbols[bigram.Left];
            ref var right = ref symbols[bigram.Right];
            // Skip pairs whose symbols changed since the pair was queued. Symbols only grow by absorbing
            // their right neighbour, so a live pair has the same total length (and therefore text) as queued.
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
        var l = _symbols[left];
        var r = _symbols[right];
        int keyLength = l.Length + 1 + r.Length;
        if (_pair.Length < keyLength) _pair = new char[Math.Max(keyLength, _pair.Length * 2)];
        _word.CopyTo(l.Start, _pair, 0, l.Length);
        _pair[l.Length] = ' ';
        _word.CopyTo(r.Start, _pair, l.Length + 1, r.Length);
        if (!_rankLookup.TryGetValue(_pair.AsSpan(0, keyLength), out int rank)) return;
        _queue.Enqueue(new Bigram(left, right, l.Length + r.Length), (rank, left));
    }

    private void Emit(Symbol symbol, List<int> output)
    {
        var text = _word.AsSpan(symbol.Start, symbol.Length);
        int id = vocabulary.Find(text);
        if (id >= 0) { output.Add(id); return; }
        if (!byteEncoded)
        {
            // Raw UTF-8 vocabularies fall back to <0xXX> byte tokens.
            foreach (byte b in Encoding.UTF8.GetBytes(text.ToString()))
                if (vocabulary.Find($"<0x{b:X2}>") is int byteId and >= 0) output.Add(byteId);
            return;
        }
        // llama.cpp looks up each UTF-8 byte as a one-byte string; only ASCII bytes can be tokens.
        foreach (char c in text)
        {
            if (c >= 0x80) continue;
            int single = vocabulary.Find([c]);
            if (single >= 0) output.Add(single);
        }
    }
}
