using System.Text;
using Wafer.Models.Gguf;

namespace Wafer.Models.Tokenization;

/// <summary>The token table of a GGUF vocabulary: texts, scores, attributes and the text → id index.</summary>
internal sealed class Vocabulary
{
    /// <summary>GGUF <c>tokenizer.ggml.token_type</c> values, in llama.cpp's numbering.</summary>
    private enum GgufTokenType { Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

    private readonly Dictionary<string, int> _ids;

    public string[] Tokens { get; }
    public float[] Scores { get; }
    public TokenAttributes[] Attributes { get; }

    /// <summary>Longest token text in UTF-8 bytes (WordPiece bounds its search with it).</summary>
    public int MaxTokenBytes { get; }

    public int Count => Tokens.Length;

    private Vocabulary(string[] tokens, float[] scores, TokenAttributes[] attributes, Dictionary<string, int> ids, int maxTokenBytes)
    {
        Tokens = tokens;
        Scores = scores;
        Attributes = attributes;
        _ids = ids;
        MaxTokenBytes = maxTokenBytes;
    }

    /// <summary>The id of a token text, or -1.</summary>
    public int Find(string text) => _ids.TryGetValue(text, out int id) ? id : -1;

    /// <summary>The id of a token text given as a span, or -1.</summary>
    public int Find(ReadOnlySpan<char> text) =>
        _ids.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text, out int id) ? id : -1;

    public bool Has(int id, TokenAttributes attribute) => (Attributes[id] & attribute) != 0;

    public static Vocabulary Load(GgufMetadata metadata, string fileName)
    {
        string[] tokens = metadata.GetArrayOrDefault<string>("tokenizer.ggml.tokens")
            ?? throw new InvalidDataException($"model file '{fileName}' has no tokenizer.ggml.tokens array; it cannot be tokenized");
        float[] scores = ReadScores(metadata, tokens.Length, fileName);
        int[]? types = metadata.GetArrayOrDefault<int>("tokenizer.ggml.token_type");
        if (types != null && types.Length < tokens.Length)
            throw new InvalidDataException($"model file '{fileName}' has {types.Length} token types for {tokens.Length} tokens");

        var ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        var attributes = new TokenAttributes[tokens.Length];
        int maxBytes = 0;
        for (int i = 0; i < tokens.Length; i++)
        {
            // llama.cpp renames empty tokens so that every text stays unique.
            if (tokens[i].Length == 0) tokens[i] = $"[EMPTY_{i}]";
            if (!ids.TryAdd(tokens[i], i))
                throw new InvalidDataException($"model file '{fileName}' has a duplicate token '{tokens[i]}' (ids {ids[tokens[i]]} and {i})");
            maxBytes = Math.Max(maxBytes, Encoding.UTF8.GetByteCount(tokens[i]));
            attributes[i] = types == null ? TokenAttributes.Normal : FromType(types[i]);
        }
        return new Vocabulary(tokens, scores, attributes, ids, maxBytes);
    }

    private static float[] ReadScores(GgufMetadata metadata, int count, string fileName)
    {
        float[]? scores = metadata.GetValueOrDefault("tokenizer.ggml.scores") switch
        {
            null => new float[count],
            float[] f => f,
            int[] i => Array.ConvertAll(i, v => (float)v),
            var v => throw new InvalidDataException($"model file '{fileName}' has tokenizer.ggml.scores of type {v.GetType().Name}; expected float32[] or int32[]"),
        };
        if (scores.Length < count)
            throw new InvalidDataException($"model file '{fileName}' has {scores.Length} token scores for {count} tokens");
        return scores;
    }

    private static TokenAttributes FromType(int type) => (GgufTokenType)type switch
    {
        GgufTokenType.Unknown => TokenAttributes.Unknown,
        GgufTokenType.Unused => TokenAttributes.Unused,
        GgufTokenType.Normal => TokenAttributes.Normal,
        GgufTokenType.Control => TokenAttributes.Control,
        GgufTokenType.UserDefined => TokenAttributes.UserDefined,
        GgufTokenType.Byte => TokenAttributes.Byte,
        _ => TokenAttributes.Undefined,
    };
}
