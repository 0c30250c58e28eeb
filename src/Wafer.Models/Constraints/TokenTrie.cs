using System.Runtime.CompilerServices;
using Wafer.Models.Tokenization;

namespace Wafer.Models.Constraints;

/// <summary>The vocabulary's byte strings in a trie, so that a grammar state's allowed tokens are found in one walk that drops
/// every token sharing a rejected prefix at once. Control, unused and unknown tokens and empty pieces are never allowed as text;
/// end-of-generation tokens are listed apart (allowed where the grammar may end). One per tokenizer, built on first use.</summary>
public sealed class TokenTrie
{
    private static readonly ConditionalWeakTable<Tokenizer, TokenTrie> Cache = [];

    // Node i's children are [ChildStart[i], ChildStart[i + 1]) in ChildByte/ChildNode; tokens ending at node i are
    // [TokenStart[i], TokenStart[i + 1]) in TokenIds. Node 0 is the root (the empty prefix).
    internal readonly int[] ChildStart;
    internal readonly byte[] ChildByte;
    internal readonly int[] ChildNode;
    internal readonly int[] TokenStart;
    internal readonly int[] TokenIds;
    private readonly byte[][] _pieces;   // [vocab] what each token adds to the text (empty for tokens never allowed)
    private readonly bool[] _end;        // [vocab] end-of-generation tokens

    private TokenTrie(Tokenizer tokenizer)
    {
        int vocab = tokenizer.VocabularySize;
        VocabularySize = vocab;
        _pieces = new byte[vocab][];
        _end = new bool[vocab];
        var ends = new List<int>();
        // Build with per-node dictionaries, then flatten breadth first.
        var children = new List<SortedDictionary<byte, int>> { new() };
        var tokensAt = new List<List<int>?> { null };
        for (int id = 0; id < vocab; id++)
        {
            _pieces[id] = [];
            if (tokenizer.IsEndOfGeneration(id)) { _end[id] = true; ends.Add(id); continue; }
            var attributes = tokenizer.GetTokenAttributes(id);
            if ((attributes & (TokenAttributes.Control | TokenAttributes.Unused | TokenAttributes.Unknown)) != 0) continue;
            byte[] piece = tokenizer.Piece(id);
            if (piece.Length == 0) continue;
            _pieces[id] = piece;
            int node = 0;
            foreach (byte b in piece)
            {
                if (!children[node].TryGetValue(b, out int next))
                {
                    next = children.Count;
                    children[node][b] = next;
                    children.Add(new SortedDictionary<byte, int>());
                    tokensAt.Add(null);
                }
                node = next;
            }
            (tokensAt[node] ??= []).Add(id);
        }
        EndTokens = [.. ends];
        int count = children.Count;
        var order = new int[count];     // new index → old
        var renumber = new int[count];  // old → new
        int head = 0, tail = 0;
        order[tail++] = 0;
        while (head < tail)
        {
            int old = order[head++];
            foreach (var (_, child) in children[old]) order[tail++] = child;
        }
        for (int i = 0; i < count; i++) renumber[order[i]] = i;
        ChildStart = new int[count + 1];
        TokenStart = new int[count + 1];
        ChildByte = new byte[count - 1];
        ChildNode = new int[count - 1];
        var tokenIds = new List<int>();
        int c = 0;
        for (int i = 0; i < count; i++)
        {
            int old = order[i];
            ChildStart[i] = c;
            foreach (var (b, child) in children[old])
            {
                ChildByte[c] = b;
                ChildNode[c] = renumber[child];
                c++;
            }
            TokenStart[i] = tokenIds.Count;
            if (tokensAt[old] is { } here) tokenIds.AddRange(here);
        }
        ChildStart[count] = c;
        TokenStart[count] = tokenIds.Count;
        TokenIds = [.. tokenIds];
        NodeCount = count;
    }

    /// <summary>The trie of <paramref name="tokenizer"/>'s vocabulary (built once per tokenizer).</summary>
    public static TokenTrie For(Tokenizer tokenizer) => Cache.GetValue(tokenizer, static t => new TokenTrie(t));

    /// <summary>Tokens in the vocabulary.</summary>
    public int VocabularySize { get; }

    /// <summary>Trie nodes (distinct prefixes of allowed pieces, the empty one included).</summary>
    public int NodeCount { get; }

    /// <summary>End-of-generation token ids.</summary>
    public IReadOnlyList<int> EndTokens { get; }

    /// <summary>The bytes <paramref name="token"/> adds to the text (empty when it may never be generated under a grammar).</summary>
    public ReadOnlySpan<byte> Piece(int token) => _pieces[token];

    /// <summary>True for end-of-generation tokens.</summary>
    public bool IsEnd(int token) => _end[token];
}
