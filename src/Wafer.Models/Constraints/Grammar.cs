using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace Wafer.Models.Constraints;

/// <summary>A compiled grammar: GBNF (<see cref="Parse"/>) lowered to byte level, with the pushdown recognizer that the
/// per-request <see cref="GrammarMatcher"/> steps and the token masks it applies before sampling.</summary>
/// <remarks>
/// Characters and classes become UTF-8 byte sets (<see cref="Utf8Ranges"/>), so a token that ends inside a multi-byte
/// character is matched as far as its bytes go. Repetitions become helper rules, as llama.cpp lowers them. A recognizer state
/// is the set of parse stacks that are alive after the text so far (stacks are hash-consed, a state is interned by its set),
/// and each state caches its byte transitions and, per vocabulary, its token mask: walking the vocabulary's trie happens once
/// per distinct state. States are shared by every request that uses the same grammar text; one lock guards them. Memory is
/// bounded: at most 64 grammar texts stay compiled and 2,048 masks per grammar stay cached (then the cache starts over).
/// Left recursion is rejected when compiling (as llama.cpp does).
/// </remarks>
public sealed class Grammar
{
    private const int KindSet = 0, KindRef = 1, KindEnd = 2;
    private const int MaxStates = 200_000;
    private const int MaxCompiled = 64;   // distinct grammar texts kept compiled (a server sees one per schema)
    private const int MaxMasks = 2048;    // cached masks per grammar: ~40 MB on a 152k vocabulary

    private static readonly ConcurrentDictionary<string, Lazy<Grammar>> Compiled = new(StringComparer.Ordinal);

    private readonly int[] _kind;             // [positions] element kind
    private readonly int[] _value;            // [positions] set index or rule id
    private readonly int[][] _ruleStarts;     // [rules] first position of each alternative
    private readonly ulong[][] _sets;         // [sets][4] 256-bit byte sets
    private readonly object _gate = new();
    private readonly List<(int Pos, int Next)> _nodes = [(-1, -1)]; // stack nodes; 0 = the empty stack
    private readonly Dictionary<long, int> _nodeIds = [];
    private readonly Dictionary<int, int[]> _normalized = [];
    private readonly List<State> _states = [];
    private readonly Dictionary<StackSet, int> _stateIds = [];
    private readonly List<int> _scratch = [];
    private int _maskCount;
    private long _masksComputed;
    private int[] _walkNodes = new int[4096], _walkStates = new int[4096]; // the walk's stack (under the lock)

    private sealed class State(int[] stacks)
    {
        public readonly int[] Stacks = stacks;          // sorted normalized stack ids (0 = the grammar may end here)
        public readonly int[] Next = new int[256];      // 0 unknown, −1 dead, else state id + 1
        public ulong[]? Mask;
        public TokenTrie? MaskTrie;
    }

    private readonly record struct StackSet(int[] Stacks)
    {
        public bool Equals(StackSet other) => Stacks.AsSpan().SequenceEqual(other.Stacks);
        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.AddBytes(MemoryMarshal.AsBytes(Stacks.AsSpan()));
            return hash.ToHashCode();
        }
    }

    private Grammar(GrammarBuilder built, string startRule)
    {
        Start = startRule;
        (_kind, _value, _ruleStarts, _sets) = built.Flatten();
        var start = new List<int>();
        foreach (int p in _ruleStarts[built.Root]) Normalize(Intern(p, 0), start);
        InitialState = InternState(start);
        if (InitialState < 0) throw new GrammarException("the grammar matches nothing");
        Text = built.Text;
    }

    /// <summary>The GBNF text this grammar was compiled from.</summary>
    public string Text { get; }

    /// <summary>The start rule (<c>root</c> unless compiled otherwise).</summary>
    public string Start { get; }

    /// <summary>Recognizer states created so far (for tests and benchmarks).</summary>
    public int StateCount { get { lock (_gate) return _states.Count; } }

    /// <summary>Masks computed so far by a walk of a vocabulary's trie (cache misses; for tests and benchmarks).</summary>
    public long MasksComputed { get { lock (_gate) return _masksComputed; } }

    internal int InitialState { get; }

    /// <summary>Compiles GBNF text (llama.cpp's dialect; start rule <c>root</c>, or <paramref name="start"/>); the same text
    /// compiles once per process.</summary>
    /// <exception cref="GrammarException">The text does not parse, names an undefined rule, has no start rule or is left-recursive.</exception>
    public static Grammar Parse(string gbnf, string start = "root")
    {
        ArgumentNullException.ThrowIfNull(gbnf);
        string key = start == "root" ? gbnf : start + "\n" + gbnf;
        if (Compiled.Count >= MaxCompiled && !Compiled.ContainsKey(key)) Compiled.Clear(); // bounded: old grammars recompile when asked again
        var lazy = Compiled.GetOrAdd(key, _ => new Lazy<Grammar>(() => new Grammar(GrammarBuilder.Build(gbnf, start), start)));
        try
        {
            return lazy.Value;
        }
        catch (GrammarException)
        {
            Compiled.TryRemove(key, out _);
            throw;
        }
    }

    /// <summary>This grammar after a thinking model's reasoning block: <c>&lt;think&gt;</c> (unless the prompt already opened it,
    /// <paramref name="startsInside"/>), any text without <c>&lt;/think&gt;</c>, <c>&lt;/think&gt;</c>, up to four newlines or
    /// spaces, then a sentence of this grammar. Without <paramref name="startsInside"/> the block is optional (a model may
    /// answer without thinking). The reasoning is free, the answer after it constrained, exactly: the block's text is the
    /// regular language of strings that do not contain the closing tag, so the first <c>&lt;/think&gt;</c> always closes it.</summary>
    public Grammar AfterThinking(bool startsInside)
    {
        const string close = "</think>";
        var rules = new StringBuilder();
        rules.Append('\n').Append(startsInside
            ? $"wafer-think-root ::= wafer-think-0 \"</think>\" wafer-think-gap {Start}\n"
            : $"wafer-think-root ::= (\"<think>\" wafer-think-0 \"</think>\" wafer-think-gap)? {Start}\n");
        rules.Append("wafer-think-gap ::= [ \\n]{0,4}\n");
        // State k: the text so far ends with the first k characters of </think> (and contains none of it whole).
        for (int k = 0; k < close.Length; k++)
        {
            var alternatives = new List<string> { "\"\"" };
            string exclude = k == 0 ? "<" : k == 1 ? "</" : "<" + Escape(close[k]);
            alternatives.Add($"[^{exclude}] wafer-think-0");
            alternatives.Add("\"<\" wafer-think-1");
            if (k == 1) alternatives.Add("\"/\" wafer-think-2");
            else if (k > 1 && k < close.Length - 1) alternatives.Add($"\"{close[k]}\" wafer-think-{k + 1}");
            rules.Append($"wafer-think-{k} ::= {string.Join(" | ", alternatives)}\n");
        }
        return Parse(Text + rules, "wafer-think-root");
    }

    private static string Escape(char c) => c is '\\' or ']' or '^' or '-' ? "\\" + c : c.ToString();

    /// <summary>A matcher at the start of the grammar, for one generation over <paramref name="trie"/>'s vocabulary.</summary>
    public GrammarMatcher CreateMatcher(TokenTrie trie) => new(this, trie);

    /// <summary>A lazy matcher: the output is free until <paramref name="trigger"/> appears in it, and follows the grammar from
    /// just after it (llama.cpp's lazy grammars: a tool call is constrained once the model opens one). With
    /// <paramref name="triggerStartsSentence"/> the grammar starts at the trigger itself (its sentences begin with it).</summary>
    public GrammarMatcher CreateLazyMatcher(TokenTrie trie, string trigger, bool triggerStartsSentence = false) => new(this, trie, trigger, triggerStartsSentence);

    /// <summary>True when the whole of <paramref name="text"/> is a sentence of the grammar (tests, and validating examples).</summary>
    public bool Accepts(string text) => Accepts(Encoding.UTF8.GetBytes(text));

    /// <summary>True when the whole of <paramref name="bytes"/> is a sentence of the grammar.</summary>
    public bool Accepts(ReadOnlySpan<byte> bytes) => Run(bytes) is int state and >= 0 && CanEnd(state);

    /// <summary>True when <paramref name="text"/> can still be continued (or ended) into a sentence of the grammar.</summary>
    public bool IsPrefix(string text) => IsPrefix(Encoding.UTF8.GetBytes(text));

    /// <summary>True when <paramref name="bytes"/> can still be continued (or ended) into a sentence of the grammar.</summary>
    public bool IsPrefix(ReadOnlySpan<byte> bytes) => Run(bytes) >= 0;

    // The state after all of bytes from the start, or −1 once no parse continues.
    private int Run(ReadOnlySpan<byte> bytes)
    {
        int state = InitialState;
        foreach (byte b in bytes)
        {
            state = Step(state, b);
            if (state < 0) return -1;
        }
        return state;
    }

    /// <summary>The state after <paramref name="b"/>, or −1 when no parse continues with it.</summary>
    internal int Step(int state, byte b)
    {
        lock (_gate) return StepLocked(state, b);
    }

    /// <summary>The state after <paramref name="bytes"/> from <paramref name="state"/>, or −1 when no parse continues with them.</summary>
    internal int Step(int state, ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            foreach (byte b in bytes)
            {
                state = StepLocked(state, b);
                if (state < 0) return -1;
            }
            return state;
        }
    }

    /// <summary>True when the text so far is a whole sentence (end-of-generation is allowed).</summary>
    internal bool CanEnd(int state)
    {
        lock (_gate) return _states[state].Stacks[0] == 0;
    }

    /// <summary>True when nothing may follow: the only parse has ended.</summary>
    internal bool IsDone(int state)
    {
        lock (_gate) return _states[state].Stacks is [0];
    }

    /// <summary>The tokens allowed after <paramref name="state"/>: bit i of word i/64 for token i (end tokens where it may end).</summary>
    internal ulong[] Mask(int state, TokenTrie trie)
    {
        lock (_gate)
        {
            var s = _states[state];
            if (s.Mask != null && ReferenceEquals(s.MaskTrie, trie)) return s.Mask;
            if (++_maskCount > MaxMasks)
            {
                // Bounded memory: drop every cached mask and start counting again (states and transitions stay).
                foreach (var other in _states) (other.Mask, other.MaskTrie) = (null, null);
                _maskCount = 1;
            }
            var mask = new ulong[(trie.VocabularySize + 63) / 64];
            _masksComputed++;
            Walk(state, trie, mask);
            if (s.Stacks[0] == 0)
                foreach (int t in trie.EndTokens) mask[t >> 6] |= 1UL << (t & 63);
            s.Mask = mask;
            s.MaskTrie = trie;
            return mask;
        }
    }

    // Depth-first over the trie with the recognizer state beside each node: a child whose byte kills every parse is skipped
    // with its whole subtree. Transitions already known are read straight from the state's row (no call, no lookup).
    private void Walk(int state, TokenTrie trie, ulong[] mask)
    {
        var childStart = trie.ChildStart;
        var childByte = trie.ChildByte;
        var childNode = trie.ChildNode;
        var tokenStart = trie.TokenStart;
        var tokenIds = trie.TokenIds;
        var nodes = _walkNodes;
        var states = _walkStates;
        int top = 0;
        nodes[top] = 0;
        states[top++] = state;
        while (top > 0)
        {
            top--;
            int node = nodes[top], at = states[top];
            var row = _states[at].Next;
            for (int c = childStart[node], end = childStart[node + 1]; c < end; c++)
            {
                int cached = row[childByte[c]];
                int next = cached > 0 ? cached - 1 : cached < 0 ? -1 : StepLocked(at, childByte[c]);
                if (next < 0) continue;
                int child = childNode[c];
                for (int t = tokenStart[child], tEnd = tokenStart[child + 1]; t < tEnd; t++) mask[tokenIds[t] >> 6] |= 1UL << (tokenIds[t] & 63);
                if (childStart[child] < childStart[child + 1])
                {
                    if (top == nodes.Length)
                    {
                        Array.Resize(ref _walkNodes, nodes.Length * 2);
                        Array.Resize(ref _walkStates, nodes.Length * 2);
                        nodes = _walkNodes;
                        states = _walkStates;
                    }
                    nodes[top] = child;
                    states[top++] = next;
                }
            }
        }
    }

    private int StepLocked(int state, byte b)
    {
        var s = _states[state];
        int cached = s.Next[b];
        if (cached != 0) return cached < 0 ? -1 : cached - 1;
        _scratch.Clear();
        foreach (int stack in s.Stacks)
        {
            if (stack == 0) continue;
            var (pos, rest) = _nodes[stack];
            var set = _sets[_value[pos]];
            if ((set[b >> 6] & (1UL << (b & 63))) != 0) Normalize(Intern(pos + 1, rest), _scratch);
        }
        int next = InternState(_scratch);
        s.Next[b] = next < 0 ? -1 : next + 1;
        return next;
    }

    private int Intern(int pos, int next)
    {
        long key = ((long)pos << 32) | (uint)next;
        if (_nodeIds.TryGetValue(key, out int id)) return id;
        id = _nodes.Count;
        _nodes.Add((pos, next));
        _nodeIds[key] = id;
        return id;
    }

    // The stacks a stack becomes once its top is a byte set (or it is empty): rule references expand into their
    // alternatives, ends of alternatives return to the continuation below.
    private void Normalize(int stack, List<int> output)
    {
        if (!_normalized.TryGetValue(stack, out var result))
        {
            var found = new List<int>();
            Expand(stack, found, 0);
            result = [.. found];
            _normalized[stack] = result;
        }
        output.AddRange(result);
    }

    private void Expand(int stack, List<int> output, int depth)
    {
        if (depth > 10_000) throw new GrammarException("the grammar nests too deeply without consuming a character");
        if (stack == 0)
        {
            output.Add(0);
            return;
        }
        var (pos, rest) = _nodes[stack];
        switch (_kind[pos])
        {
            case KindSet:
                output.Add(stack);
                return;
            case KindEnd:
                Expand(rest, output, depth + 1);
                return;
            default:
                int continuation = _kind[pos + 1] == KindEnd ? rest : Intern(pos + 1, rest); // a tail call keeps right recursion flat
                foreach (int start in _ruleStarts[_value[pos]]) Expand(Intern(start, continuation), output, depth + 1);
                return;
        }
    }

    private int InternState(List<int> stacks)
    {
        if (stacks.Count == 0) return -1;
        stacks.Sort();
        int distinct = 1;
        for (int i = 1; i < stacks.Count; i++)
            if (stacks[i] != stacks[distinct - 1]) stacks[distinct++] = stacks[i];
        var key = new StackSet([.. stacks.GetRange(0, distinct)]);
        if (_stateIds.TryGetValue(key, out int id)) return id;
        if (_states.Count >= MaxStates) throw new GrammarException($"the grammar needs more than {MaxStates} recognizer states (it is too ambiguous)");
        id = _states.Count;
        _states.Add(new State(key.Stacks));
        _stateIds[key] = id;
        return id;
    }
}
