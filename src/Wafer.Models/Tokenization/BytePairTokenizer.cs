using System.Text;
using Wafer.Models.Gguf;

namespace Wafer.Models.Tokenization;

/// <summary>Byte-level BPE tokenizer (GGUF "gpt2"): regex pre-tokenizer chosen by <c>tokenizer.ggml.pre</c>, then rank-ordered merges.</summary>
/// <remarks>
/// Written from llama.cpp's llama-vocab.cpp / unicode.cpp rather than on Microsoft.ML.Tokenizers:
/// llama.cpp's pre-tokenizers differ from the Hugging Face regexes in ways that change ids
/// (Unicode categories are collapsed before std::regex runs, hand-written GPT-2/Llama-3 splitters,
/// ignore_merges, special-token splitting), and matching llama.cpp exactly is the requirement.
/// </remarks>
internal sealed class BytePairTokenizer : Tokenizer
{
    private readonly PreTokenizer _preTokenizer;
    private readonly Func<BytePairMerger> _newMerger; // mergers hold per-call state, so Encode is thread-safe
    private readonly bool _escapeWhitespaces;

    private BytePairTokenizer(Vocabulary vocabulary, SpecialTokens special, bool addBos, bool addEos, PreTokenizer preTokenizer, Func<BytePairMerger> newMerger, bool escapeWhitespaces)
        : base(vocabulary, special, addBos, addEos)
    {
        _preTokenizer = preTokenizer;
        _newMerger = newMerger;
        _escapeWhitespaces = escapeWhitespaces;
    }

    public override TokenizerKind Kind => TokenizerKind.BytePair;

    /// <summary>Reads a "gpt2" vocabulary, or a "gemma4" one (BPE over raw UTF-8 with ▁ for spaces).</summary>
    public static BytePairTokenizer Create(GgufMetadata metadata, string fileName, bool gemma4 = false)
    {
        string pre = gemma4 ? "gemma4" : metadata.GetStringOrDefault("tokenizer.ggml.pre") ?? "";
        var settings = PreTokenizerPatterns.For(pre)
            ?? throw new NotSupportedException($"model file '{fileName}' has tokenizer.ggml.pre = \"{pre}\", a pre-tokenizer Wafer does not know; supported: llama-bpe, qwen2, gpt-2, deepseek-coder, deepseek-llm, starcoder, falcon, phi-2, refact, command-r, smollm and others listed in PreTokenizerPatterns");
        string[] merges = metadata.GetArrayOrDefault<string>("tokenizer.ggml.merges")
            ?? throw new InvalidDataException($"model file '{fileName}' is a BPE vocabulary without tokenizer.ggml.merges");
        var vocabulary = Vocabulary.Load(metadata, fileName);
        var special = SpecialTokens.Resolve(metadata, vocabulary, TokenizerKind.BytePair, pre);
        bool addBos = metadata.GetBoolOrDefault("tokenizer.ggml.add_bos_token", settings.AddBos) || pre == "gemma4";
        bool addEos = metadata.GetBoolOrDefault("tokenizer.ggml.add_eos_token", false);
        TokenizerChecks.RequireSpecial(fileName, addBos, special.Bos, "add_bos_token", "bos_token_id");
        TokenizerChecks.RequireSpecial(fileName, addEos, special.Eos, "add_eos_token", "eos_token_id");
        var ranks = Ranks(merges);
        BytePairMerger NewMerger() => new(vocabulary, ranks, settings.IgnoreMerges, settings.ByteEncode, keepNewlineRuns: pre == "gemma4");
        var preTokenizer = new PreTokenizer(settings.Patterns, settings.ByteEncode);
        return new BytePairTokenizer(vocabulary, special, addBos, addEos, preTokenizer, NewMerger, settings.EscapeWhitespaces);
    }

    private protected override void Encode(string text, List<TokenFragment> fragments, bool addSpecial, List<int> output)
    {
        if (addSpecial && AddBos) output.Add(Special.Bos);
        var merger = _newMerger();
        foreach (var fragment in fragments)
        {
            if (!fragment.IsText) { output.Add(fragment.TokenId); continue; }
            string piece = text.Substring(fragment.Offset, fragment.Length);
            if (_escapeWhitespaces) piece = piece.Replace(' ', '\u2581');
            foreach (string word in _preTokenizer.Split(piece))
                merger.Tokenize(word, output);
        }
        if (addSpecial && AddEos) output.Add(Special.Eos);
    }

    private protected override byte[] NormalPiece(string text)
    {
        if (_escapeWhitespaces) return Encoding.UTF8.GetBytes(text.Replace('\u2581', ' '));
        var bytes = new List<byte>(text.Length);
        foreach (char c in text)
        {
            if (ByteLevelEncoding.TryDecode(c, out byte b)) { bytes.Add(b); continue; }
            // llama.cpp's llama_decode_text writes this marker for characters outside the byte alphabet.
            string marker = "[UNK_BYTE_0x" + Convert.ToHexStringLower(Encoding.UTF8.GetBytes(c.ToString())) + text + "]";
            bytes.AddRange(Encoding.UTF8.GetBytes(marker));
        }
        return [.. bytes];
    }

    /// <summary>Merge rank by "left right" text; the first occurrence of a pair wins, as with std::map::emplace.</summary>
    private static Dictionary<string, int> Ranks(string[] merges)
    {
        var ranks = new Dictionary<string, int>(merges.Length, StringComparer.Ordinal);
        for (int i = 0; i < merges.Length; i++)
        {
            // llama.cpp splits at the first space after the first character.
            int space = merges[i].Length > 1 ? merges[i].IndexOf(' ', 1) : -1;
            if (space >= 0) ranks.TryAdd(merges[i], i);
        }
        return ranks;
    }
}
