namespace Wafer.Models.Constraints;

/// <summary>Lowers parsed GBNF to byte-level rules: each alternative a sequence of byte sets and rule references.</summary>
internal sealed class GrammarBuilder
{
    private readonly List<List<List<Symbol>>?> _rules = [];
    private readonly List<string?> _names = [];
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _firstUse = new(StringComparer.Ordinal);
    private readonly List<ulong[]> _sets = [];
    private readonly Dictionary<(ulong, ulong, ulong, ulong), int> _setIds = [];

    private readonly record struct Symbol(bool IsRule, int Value);

    private GrammarBuilder(string text) => Text = text;

    public string Text { get; }

    public int Root { get; private set; }

    public static GrammarBuilder Build(string text, string start = "root")
    {
        var builder = new GrammarBuilder(text);
        var parsed = GbnfParser.Parse(text);
        foreach (var (name, _) in parsed) builder.RuleId(name, 0);
        foreach (var (name, alternatives) in parsed)
            builder._rules[builder._ids[name]] = alternatives.Select(builder.Sequence).ToList();
        for (int r = 0; r < builder._rules.Count; r++)
            if (builder._rules[r] == null)
                throw new GrammarException($"line {builder._firstUse[builder._names[r]!]}: the rule '{builder._names[r]}' is used but not defined");
        if (!builder._ids.TryGetValue(start, out int root)) throw new GrammarException($"the grammar has no '{start}' rule (the start rule)");
        builder.Root = root;
        builder.CheckLeftRecursion();
        return builder;
    }

    private int RuleId(string name, int line)
    {
        if (_ids.TryGetValue(name, out int id)) return id;
        id = _rules.Count;
        _rules.Add(null);
        _names.Add(name);
        _ids[name] = id;
        _firstUse[name] = line;
        return id;
    }

    private int NewRule(List<List<Symbol>> alternatives)
    {
        _rules.Add(alternatives);
        _names.Add(null);
        return _rules.Count - 1;
    }

    private List<Symbol> Sequence(List<GbnfItem> items)
    {
        var sequence = new List<Symbol>();
        foreach (var item in items) Add(sequence, item);
        return sequence;
    }

    private void Add(List<Symbol> sequence, GbnfItem item)
    {
        var x = Symbols(item.Node);
        for (int i = 0; i < item.Min; i++) sequence.AddRange(x);
        if (item.Max == item.Min) return;
        if (item.Max < 0)
        {
            // x* ::= x x* | ε
            int star = NewRule([]);
            _rules[star] = [[.. x, new Symbol(true, star)], []];
            sequence.Add(new Symbol(true, star));
            return;
        }
        // (max − min) nested optionals: o_k ::= x o_(k−1) | ε
        int inner = -1;
        for (int k = 0; k < item.Max - item.Min; k++)
        {
            var alternative = new List<Symbol>(x);
            if (inner >= 0) alternative.Add(new Symbol(true, inner));
            inner = NewRule([alternative, []]);
        }
        sequence.Add(new Symbol(true, inner));
    }

    private List<Symbol> Symbols(GbnfNode node)
    {
        switch (node)
        {
            case GbnfReference r:
                return [new Symbol(true, RuleId(r.Name, r.Line))];
            case GbnfGroup g:
                if (g.Alternatives.Count == 1) return Sequence(g.Alternatives[0]);
                return [new Symbol(true, NewRule(g.Alternatives.Select(Sequence).ToList()))];
            case GbnfLiteral l:
            {
                var symbols = new List<Symbol>();
                Span<byte> bytes = stackalloc byte[4];
                foreach (int c in l.CodePoints)
                {
                    int n = new System.Text.Rune(c is >= 0xD800 and <= 0xDFFF ? 0xFFFD : c).EncodeToUtf8(bytes);
                    for (int i = 0; i < n; i++) symbols.Add(new Symbol(false, SetId(bytes[i], bytes[i])));
                }
                return symbols;
            }
            case GbnfClass c:
                return Class(c);
            default:
                throw new InvalidOperationException($"unknown GBNF node {node}");
        }
    }

    private List<Symbol> Class(GbnfClass c)
    {
        var ranges = c.Ranges.OrderBy(r => r.First).ToList();
        if (c.Negated)
        {
            var complement = new List<(int, int)>();
            int next = 0;
            foreach (var (first, last) in ranges)
            {
                if (first > next) complement.Add((next, first - 1));
                next = Math.Max(next, last + 1);
            }
            if (next <= 0x10FFFF) complement.Add((next, 0x10FFFF));
            ranges = complement;
        }
        var sequences = new List<(byte Low, byte High)[]>();
        foreach (var (first, last) in ranges) Utf8Ranges.Split(first, last, sequences);
        if (sequences.Count == 0) throw new GrammarException("a character class matches no character");
        // One-byte sequences merge into one set; longer ones become alternatives of a helper rule.
        var single = new ulong[4];
        bool anySingle = false;
        var alternatives = new List<List<Symbol>>();
        foreach (var s in sequences)
        {
            if (s.Length == 1)
            {
                for (int b = s[0].Low; b <= s[0].High; b++) single[b >> 6] |= 1UL << (b & 63);
                anySingle = true;
            }
            else
            {
                alternatives.Add(s.Select(r => new Symbol(false, SetId(r.Low, r.High))).ToList());
            }
        }
        if (anySingle) alternatives.Insert(0, [new Symbol(false, SetId(single))]);
        return alternatives.Count == 1 ? alternatives[0] : [new Symbol(true, NewRule(alternatives))];
    }

    private int SetId(byte low, byte high)
    {
        var set = new ulong[4];
        for (int b = low; b <= high; b++) set[b >> 6] |= 1UL << (b & 63);
        return SetId(set);
    }

    private int SetId(ulong[] set)
    {
        var key = (set[0], set[1], set[2], set[3]);
        if (_setIds.TryGetValue(key, out int id)) return id;
        id = _sets.Count;
        _sets.Add(set);
        _setIds[key] = id;
        return id;
    }

    // A rule that can reach itself without consuming a byte would expand forever: refuse it, naming a rule of the cycle.
    private void CheckLeftRecursion()
    {
        int n = _rules.Count;
        var nullable = new bool[n];
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int r = 0; r < n; r++)
                if (!nullable[r] && _rules[r]!.Any(alt => alt.All(s => s.IsRule && nullable[s.Value])))
                    changed = nullable[r] = true;
        }
        var state = new int[n]; // 0 unvisited, 1 on the path, 2 done
        var path = new List<int>();
        void Visit(int r)
        {
            state[r] = 1;
            path.Add(r);
            foreach (var alt in _rules[r]!)
                foreach (var s in alt)
                {
                    if (!s.IsRule) break;
                    if (state[s.Value] == 1)
                    {
                        var cycle = path.Skip(path.IndexOf(s.Value)).ToList();
                        string name = cycle.Select(c => _names[c]).FirstOrDefault(x => x != null) ?? "(a group)";
                        throw new GrammarException($"the rule '{name}' is left-recursive (it can reach itself before matching any character); rewrite it with repetition, e.g. 'list ::= item (\",\" item)*'");
                    }
                    if (state[s.Value] == 0) Visit(s.Value);
                    if (!nullable[s.Value]) break;
                }
            path.RemoveAt(path.Count - 1);
            state[r] = 2;
        }
        for (int r = 0; r < n; r++)
            if (state[r] == 0) Visit(r);
    }

    /// <summary>Flat positions: each alternative's symbols then an end marker.</summary>
    public (int[] Kind, int[] Value, int[][] RuleStarts, ulong[][] Sets) Flatten()
    {
        var kind = new List<int>();
        var value = new List<int>();
        var starts = new int[_rules.Count][];
        for (int r = 0; r < _rules.Count; r++)
        {
            var alternatives = _rules[r]!;
            starts[r] = new int[alternatives.Count];
            for (int a = 0; a < alternatives.Count; a++)
            {
                starts[r][a] = kind.Count;
                foreach (var s in alternatives[a])
                {
                    kind.Add(s.IsRule ? 1 : 0);
                    value.Add(s.Value);
                }
                kind.Add(2);
                value.Add(0);
            }
        }
        return ([.. kind], [.. value], starts, [.. _sets]);
    }
}
