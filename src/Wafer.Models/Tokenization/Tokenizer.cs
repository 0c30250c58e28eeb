using System.Text;
using Wafer.Models.Gguf;

namespace Wafer.Models.Tokenization;

/// <summary>Turns text into token ids and back, exactly as llama.cpp does for the same GGUF vocabulary.</summary>
public abstract class Tokenizer
{
    private const string ModelKey = "tokenizer.ggml.model";
    private const string SupportedModels = "\"llama\" (SentencePiece), \"gpt2\" (byte-level BPE), \"bert\" (WordPiece), \"gemma4\" (BPE over UTF-8)";

    private readonly byte[][] _pieces;
    private readonly string?[] _pieceStrings;

    private protected Tokenizer(Vocabulary vocabulary, SpecialTokens special, bool addBos, bool addEos)
    {
        Vocabulary = vocabulary;
        Special = special;
        AddBos = addBos;
        AddEos = addEos;
        _pieces = new byte[vocabulary.Count][];
        _pieceStrings = new string?[vocabulary.Count];
    }

    private protected Vocabulary Vocabulary { get; }

    private protected SpecialTokens Special { get; }

    /// <summary>The algorithm of this tokenizer.</summary>
    public abstract TokenizerKind Kind { get; }

    /// <summary>Number of tokens in the vocabulary.</summary>
    public int VocabularySize => Vocabulary.Count;

    /// <summary>Beginning-of-sequence token id, or -1 when the vocabulary has none.</summary>
    public int BosTokenId => Special.Bos;

    /// <summary>End-of-sequence token id, or -1 when the vocabulary has none.</summary>
    public int EosTokenId => Special.Eos;

    /// <summary>Whether <see cref="Encode"/> with <c>addSpecial</c> prepends BOS.</summary>
    public bool AddBos { get; }

    /// <summary>Whether <see cref="Encode"/> with <c>addSpecial</c> appends EOS.</summary>
    public bool AddEos { get; }

    /// <summary>Reads the tokenizer described by a GGUF file's metadata.</summary>
    /// <param name="metadata">The file's metadata (tokenizer.ggml.* keys).</param>
    /// <param name="fileName">The file's name, used in error messages.</param>
    public static Tokenizer FromMetadata(GgufMetadata metadata, string fileName)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        string model = metadata.GetStringOrDefault(ModelKey)
            ?? throw new InvalidDataException($"model file '{fileName}' has no '{ModelKey}' key; supported tokenizers: {SupportedModels}");
        return model switch
        {
            "llama" => SentencePieceTokenizer.Create(metadata, fileName),
            "gpt2" => BytePairTokenizer.Create(metadata, fileName),
            "bert" => WordPieceTokenizer.Create(metadata, fileName),
            "gemma4" => BytePairTokenizer.Create(metadata, fileName, gemma4: true),
            _ => throw new NotSupportedException($"model file '{fileName}' has {ModelKey} = \"{model}\", which Wafer does not support; supported: {SupportedModels}"),
        };
    }

    /// <summary>Tokenizes text as llama.cpp's <c>llama_tokenize</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecial">Add BOS/EOS (or [CLS]/[SEP]) as the vocabulary asks.</param>
    /// <param name="parseSpecial">Turn the text of control tokens (such as "&lt;|im_start|&gt;") into those tokens.</param>
    public IReadOnlyList<int> Encode(string text, bool addSpecial = true, bool parseSpecial = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fragments = SpecialTokenSplitter.Split(text, Vocabulary, Special.SplitOrder, parseSpecial);
        var output = new List<int>();
        Encode(text, fragments, addSpecial, output);
        return output;
    }

    private protected abstract void Encode(string text, List<TokenFragment> fragments, bool addSpecial, List<int> output);

    /// <summary>Concatenated token pieces as UTF-8 text, as llama-server's /detokenize (invalid UTF-8 becomes U+FFFD).</summary>
    public string Decode(IReadOnlyList<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (int id in ids) bytes.AddRange(Piece(id));
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>The bytes a token contributes to output text (llama.cpp's <c>token_to_piece</c> with special tokens rendered).</summary>
    public byte[] TokenBytes(int id) => Piece(id).ToArray();

    /// <summary>The cached piece bytes; callers must not modify them.</summary>
    internal byte[] Piece(int id)
    {
        CheckId(id);
        return _pieces[id] ??= ComputePiece(id);
    }

    /// <summary>The piece as a string when its bytes are complete, valid UTF-8 on their own (most tokens), else null; cached, so a
    /// streaming decoder returns the same string for every occurrence of the token instead of a new one.</summary>
    internal string? PieceString(int id)
    {
        CheckId(id);
        var cached = _pieceStrings[id];
        if (cached != null) return ReferenceEquals(cached, NotWholeText) ? null : cached;
        var piece = Piece(id);
        string? text = System.Text.Unicode.Utf8.IsValid(piece) ? Encoding.UTF8.GetString(piece) : null;
        _pieceStrings[id] = text ?? NotWholeText;
        return text;
    }

    private static readonly string NotWholeText = new('\uFFFF', 1); // a marker compared by reference only

    /// <summary>The token's text as stored in the vocabulary (e.g. "▁Hello", "Ġworld", "&lt;0x0A&gt;").</summary>
    public string TokenText(int id)
    {
        CheckId(id);
        return Vocabulary.Tokens[id];
    }

    /// <summary>The token's attribute flags.</summary>
    public TokenAttributes GetTokenAttributes(int id)
    {
        CheckId(id);
        return Vocabulary.Attributes[id];
    }

    /// <summary>Whether a token ends generation (EOS, EOT, &lt;|im_end|&gt;, …), as llama.cpp's <c>llama_vocab_is_eog</c>.</summary>
    public bool IsEndOfGeneration(int id) => Special.EndOfGeneration.Contains(id);

    /// <summary>A streaming decoder that emits only complete UTF-8 characters.</summary>
    public IncrementalDecoder CreateIncrementalDecoder() => new(this);

    private byte[] ComputePiece(int id)
    {
        const TokenAttributes verbatim = TokenAttributes.Unknown | TokenAttributes.Control | TokenAttributes.UserDefined;
        var attributes = Vocabulary.Attributes[id];
        string text = Vocabulary.Tokens[id];
        if ((attributes & verbatim) != 0) return Encoding.UTF8.GetBytes(text);
        if ((attributes & TokenAttributes.Normal) != 0) return NormalPiece(text);
        if ((attributes & TokenAttributes.Byte) != 0) return [ByteTokenValue(text)];
        return []; // unused and undefined tokens render as nothing
    }

    /// <summary>The output bytes of a normal token's text.</summary>
    private protected abstract byte[] NormalPiece(string text);

    /// <summary>The byte a byte token ("&lt;0x0A&gt;") stands for; a byte token spelled otherwise (a corrupt vocabulary) is 0, as
    /// llama.cpp's <c>strtol</c> reads it, rather than an exception on every decode.</summary>
    private protected static byte ByteTokenValue(string text) =>
        text.Length >= 5 && byte.TryParse(text.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out byte value)
            ? value : (byte)0;

    private void CheckId(int id)
    {
        if ((uint)id >= (uint)Vocabulary.Count)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id must be in [0, {Vocabulary.Count})");
    }
}
