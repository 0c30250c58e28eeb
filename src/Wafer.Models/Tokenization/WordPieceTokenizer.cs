using System.Text;
using Wafer.Models.Gguf;

namespace Wafer.Models.Tokenization;

/// <summary>WordPiece tokenizer (GGUF "bert"): BERT normalization, then the longest vocabulary match from the left of each word.</summary>
/// <remarks>
/// The GGUF spells word-initial pieces with a leading ▁ and continuation pieces bare (the Hugging
/// Face "##" prefix removed), so a word is matched as "▁" + word. A word with any unmatched
/// position becomes [UNK] as a whole.
/// </remarks>
internal sealed class WordPieceTokenizer : Tokenizer
{
    private const string WordStart = "\u2581";
    private readonly WordPieceNormalizer _normalizer;

    private WordPieceTokenizer(Vocabulary vocabulary, SpecialTokens special, WordPieceNormalizer normalizer)
        : base(vocabulary, special, addBos: true, addEos: false) => _normalizer = normalizer;

    public override TokenizerKind Kind => TokenizerKind.WordPiece;

    public static WordPieceTokenizer Create(GgufMetadata metadata, string fileName)
    {
        var vocabulary = Vocabulary.Load(metadata, fileName);
        var special = SpecialTokens.Resolve(metadata, vocabulary, TokenizerKind.WordPiece, "");
        // WordPiece always adds [CLS] … [SEP] with addSpecial; both must exist.
        TokenizerChecks.RequireSpecial(fileName, true, special.Bos, "add_bos_token", "cls_token_id/bos_token_id");
        TokenizerChecks.RequireSpecial(fileName, true, special.Sep, "add_sep_token", "seperator_token_id");
        bool lowercase = metadata.GetBoolOrDefault("tokenizer.ggml.normalizer.lowercase", true);
        bool stripAccents = metadata.GetBoolOrDefault("tokenizer.ggml.normalizer.strip_accents", lowercase);
        return new WordPieceTokenizer(vocabulary, special, new WordPieceNormalizer(lowercase, stripAccents));
    }

    private protected override void Encode(string text, List<TokenFragment> fragments, bool addSpecial, List<int> output)
    {
        if (addSpecial) output.Add(Special.Bos);
        foreach (var fragment in fragments)
        {
            if (!fragment.IsText) { output.Add(fragment.TokenId); continue; }
            foreach (string word in _normalizer.Words(text.AsSpan(fragment.Offset, fragment.Length)))
                TokenizeWord(word, output);
        }
        if (addSpecial) output.Add(Special.Sep);
    }

    private void TokenizeWord(string word, List<int> output)
    {
        string text = WordStart + word;
        int before = output.Count;
        // A token is at most MaxTokenBytes UTF-8 bytes, so never more UTF-16 chars than that.
        int maxChars = Vocabulary.MaxTokenBytes;
        for (int i = 0; i < text.Length; i++)
        {
            int matched = -1;
            for (int j = Math.Min(text.Length, i + maxChars); j > i; j--)
            {
                int id = Vocabulary.Find(text.AsSpan(i, j - i));
                if (id < 0) continue;
                output.Add(id);
                matched = j;
                break;
            }
            if (matched < 0)
            {
                output.RemoveRange(before, output.Count - before);
                break;
            }
            i = matched - 1;
        }
        if (output.Count == before) output.Add(Special.Unk);
    }

    private protected override byte[] NormalPiece(string text) => Encoding.UTF8.GetBytes(text.Replace('\u2581', ' '));
}
