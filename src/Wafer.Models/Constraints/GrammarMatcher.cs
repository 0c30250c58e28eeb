namespace Wafer.Models.Constraints;

/// <summary>One generation's position in a <see cref="Grammar"/>: masks the logits to the tokens that keep the text a
/// prefix of a sentence (end-of-generation only where a sentence may end) and advances by each chosen token.</summary>
/// <remarks>Used by one thread at a time (the request's sampling); the grammar's shared caches lock themselves.</remarks>
public sealed class GrammarMatcher
{
    private readonly Grammar _grammar;
    private readonly TokenTrie _trie;
    private int _state;
    private bool _ended;
    // Lazy matchers (llama.cpp's "lazy grammar"): free text until the trigger appears in the output, the grammar from there.
    private readonly byte[]? _trigger;
    private readonly List<byte> _window = [];
    private bool _triggered;
    private bool _abandoned;
    private readonly bool _triggerStarts;  // the grammar matches the trigger too (else it starts just after it)

    internal GrammarMatcher(Grammar grammar, TokenTrie trie, string? trigger = null, bool triggerStartsSentence = false)
    {
        _triggerStarts = triggerStartsSentence;
        _grammar = grammar;
        _trie = trie;
        _state = grammar.InitialState;
        if (trigger != null)
        {
            if (trigger.Length == 0) throw new ArgumentException("a lazy grammar's trigger must not be empty", nameof(trigger));
            _trigger = System.Text.Encoding.UTF8.GetBytes(trigger);
        }
        _triggered = trigger == null;
    }

    /// <summary>True while the grammar constrains the output (always for a plain matcher; for a lazy one, once its trigger appeared).</summary>
    public bool IsActive => _triggered && !_abandoned;

    /// <summary>The grammar.</summary>
    public Grammar Grammar => _grammar;

    /// <summary>True once an end-of-generation token was accepted or the only parse has ended (nothing may follow).</summary>
    public bool IsDone => _ended || (IsActive && _grammar.IsDone(_state));

    /// <summary>True when the text so far is a whole sentence of the grammar (or free text, before a lazy trigger).</summary>
    public bool CanEnd => !IsActive || _grammar.CanEnd(_state);

    /// <summary>The allowed tokens now, bit i of word i/64 for token i (cached per grammar state; do not modify).</summary>
    public ReadOnlySpan<ulong> AllowedTokens() => _grammar.Mask(_state, _trie);

    /// <summary>True when the grammar allows <paramref name="token"/> now (always before a lazy trigger): one step of its
    /// bytes, no mask. Greedy decoding checks its choice this way first and masks only when the grammar refuses it, which is
    /// exact (the best token overall, when allowed, is the best allowed one) and skips the vocabulary walk of new states.</summary>
    public bool Allows(int token)
    {
        if (!IsActive || _ended) return true;
        if (_trie.IsEnd(token)) return _grammar.CanEnd(_state);
        var piece = _trie.Piece(token);
        return !piece.IsEmpty && _grammar.Step(_state, piece) >= 0;
    }

    /// <summary>Sets every token the grammar does not allow now to −∞ in <paramref name="logits"/> [vocab]. When the grammar
    /// allows no token at all (no piece of the vocabulary continues it), only the end-of-generation tokens stay.</summary>
    public void Apply(Span<float> logits)
    {
        if (!IsActive) return;
        var mask = AllowedTokens();
        int words = Math.Min(mask.Length, (logits.Length + 63) / 64);
        int allowed = 0;
        for (int w = 0; w < words; w++) allowed += System.Numerics.BitOperations.PopCount(mask[w]);
        if (allowed == 0)
        {
            logits.Fill(float.NegativeInfinity);
            foreach (int t in _trie.EndTokens)
                if (t < logits.Length) logits[t] = 0;
            return;
        }
        if (allowed < logits.Length / 4)
        {
            // Few allowed (structure, keys, enums): keep their logits, fill the rest at memory speed.
            if ((t_kept?.Length ?? 0) < allowed) t_kept = new float[Math.Max(allowed, 1024)];
            var kept = t_kept!;
            int j = 0;
            for (int w = 0; w < words; w++)
                for (ulong bits = mask[w]; bits != 0; bits &= bits - 1)
                    kept[j++] = logits[(w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits)];
            logits.Fill(float.NegativeInfinity);
            j = 0;
            for (int w = 0; w < words; w++)
                for (ulong bits = mask[w]; bits != 0; bits &= bits - 1)
                    logits[(w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits)] = kept[j++];
            return;
        }
        // Most allowed (inside strings): block the few others one by one.
        for (int w = 0; w < words; w++)
        {
            ulong bits = mask[w];
            if (bits == ulong.MaxValue) continue;
            int baseId = w << 6, end = Math.Min(64, logits.Length - baseId);
            for (ulong blocked = ~bits; blocked != 0; blocked &= blocked - 1)
            {
                int i = System.Numerics.BitOperations.TrailingZeroCount(blocked);
                if (i >= end) break;
                logits[baseId + i] = float.NegativeInfinity;
            }
        }
    }

    [ThreadStatic] private static float[]? t_kept; // the allowed logits while the row is filled with −∞

    /// <summary>Advances by <paramref name="token"/>. An end-of-generation token ends the matcher.</summary>
    /// <exception cref="InvalidOperationException">The grammar does not allow <paramref name="token"/> here (the mask was not applied).</exception>
    public void Accept(int token)
    {
        if (_ended) return;
        if (_trie.IsEnd(token))
        {
            _ended = true;
            return;
        }
        var piece = _trie.Piece(token);
        if (_abandoned) return;
        if (!_triggered)
        {
            AcceptBeforeTrigger(piece);
            return;
        }
        if (piece.IsEmpty) throw new InvalidOperationException($"token {token} is never allowed under a grammar");
        int state = _grammar.Step(_state, piece);
        if (state < 0) throw new InvalidOperationException($"token {token} does not continue the grammar here");
        _state = state;
    }

    // Free text: watch for the trigger (it may span tokens); the bytes after it, in the same token, start the grammar.
    private void AcceptBeforeTrigger(ReadOnlySpan<byte> piece)
    {
        var trigger = _trigger!;
        foreach (byte b in piece) _window.Add(b);
        int at = IndexOf(_window, trigger);
        if (at < 0)
        {
            if (_window.Count > trigger.Length) _window.RemoveRange(0, _window.Count - (trigger.Length - 1));
            return;
        }
        _triggered = true;
        int state = _grammar.InitialState;
        for (int i = _triggerStarts ? at : at + trigger.Length; i < _window.Count; i++)
        {
            state = _grammar.Step(state, _window[i]);
            if (state < 0)
            {
                _abandoned = true; // the model broke the format in the trigger's own token: leave its text alone
                return;
            }
        }
        _state = state;
        _window.Clear();
    }

    private static int IndexOf(List<byte> haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Count; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }
}
