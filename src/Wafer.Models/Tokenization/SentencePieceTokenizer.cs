using System.Text;
using Wafer.Models.Gguf;

namespace Wafer.Models.Tokenization;

/// <summary>SentencePiece-style tokenizer (GGUF "llama"): spaces become ▁, then the best-scoring adjacent pairs merge, with byte fallback.</summary>
internal sealed class SentencePieceTokenizer : Tokenizer
{
    private const char SpaceMarker = '\u2581'; // ▁
    private readonly bool _addSpacePrefix;
    private readonly int[] _byteTokens;
    private readonly bool _wordsAreIndependent;

    private SentencePieceTokenizer(Vocabulary vocabulary, SpecialTokens special, bool addBos, bool addEos, bool addSpacePrefix)
        : base(vocabulary, special, addBos, addEos)
    {
        _addSpacePrefix = addSpacePrefix;
        _byteTokens = ByteTokens(vocabulary);
        _wordsAreIndependent = !vocabulary.Tokens.Any(HasMarkerAfterOtherChar);
    }

    public override TokenizerKind Kind => TokenizerKind.SentencePiece;

    public static SentencePieceTokenizer Create(GgufMetadata metadata, string fileName)
    {
        var vocabulary = Vocabulary.Load(metadata, fileName);
        var special = SpecialTokens.Resolve(metadata, vocabulary, TokenizerKind.SentencePiece, "");
        bool addBos = metadata.GetBoolOrDefault("tokenizer.ggml.add_bos_token", true);
        bool addEos = metadata.GetBoolOrDefault("tokenizer.ggml.add_eos_token", false);
        TokenizerChecks.RequireSpecial(fileName, addBos, special.Bos, "add_bos_token", "bos_token_id");
        TokenizerChecks.RequireSpecial(fileName, addEos, special.Eos, "add_eos_token", "eos_token_id");
        bool addSpacePrefix = metadata.GetBoolOrDefault("tokenizer.ggml.add_space_prefix", true);
        return new SentencePieceTokenizer(vocabulary, special, addBos, addEos, addSpacePrefix);
    }

    private protected override void Encode(string text, List<TokenFragment> fragments, bool addSpecial, List<int> output)
    {
        // Like the original SentencePiece, a text fragment gets a leading space when it starts the
        // input or follows a special token.
        bool previousIsSpecial = true;
        if (addSpecial && AddBos) output.Add(Special.Bos);
        var merger = new SentencePieceMerger(Vocabulary, _byteTokens);
        foreach (var fragment in fragments)
        {
            if (!fragment.IsText)
            {
                output.Add(fragment.TokenId);
                previousIsSpecial = true;
                continue;
            }
            var piece = new StringBuilder(fragment.Length + 1);
            if (_addSpacePrefix && previousIsSpecial) piece.Append(' ');
            piece.Append(text, fragment.Offset, fragment.Length);
            piece.Replace(' ', SpaceMarker);
            string escaped = piece.ToString();
            if (_wordsAreIndependent) TokenizeWords(merger, escaped, output);
            else merger.Tokenize(escaped, 0, escaped.Length, output);
            previousIsSpecial = false;
        }
        if (addSpecial && AddEos) output.Add(Special.Eos);
    }

    /// <summary>Runs one merge session per word (a run of ▁ and the text up to the next run).</summary>
    /// <remarks>
    /// llama.cpp merges a whole fragment in one session. When no token has ▁ right after another
    /// character, no merge can join a word to the ▁ that starts the next one, and merges never
    /// interact across that boundary, so per-word sessions give the same tokens with small queues.
    /// </remarks>
    private static void TokenizeWords(SentencePieceMerger merger, string text, List<int> output)
    {
        int start = 0;
        for (int i = 1; i < text.Length; i++)
        {
            if (text[i] != SpaceMarker || text[i - 1] == SpaceMarker) continue;
            merger.Tokenize(text, start, i - start, output);
            start = i;
        }
        if (start < text.Length) merger.Tokenize(text, start, text.Length - start, output);
    }

    private static bool HasMarkerAfterOtherChar(string token)
    {
        for (int i = token.IndexOf(SpaceMarker, 1); i > 0; i = i + 1 < token.Length ? token.IndexOf(SpaceMarker, i + 1) : -1)
            if (token[i - 1] != SpaceMarker) return true;
        return false;
    }

    private protected override byte[] NormalPiece(string text) => Encoding.UTF8.GetBytes(text.Replace(SpaceMarker, ' '));

    /// <summary>The token for each byte value: "&lt;0xXX&gt;", else the one-character token, else -1.</summary>
    private static int[] ByteTokens(Vocabulary vocabulary)
    {
        var tokens = new int[256];
        for (int b = 0; b < 256; b++)
        {
            int id = vocabulary.Find($"<0x{b:X2}>");
            if (id < 0 && b < 0x80) id = vocabulary.Find(((char)b).ToString());
            tokens[b] = id;
        }
        return tokens;
    }
}
