namespace Wafer.Models.Tokenization;

/// <summary>The pre-tokenizer regexes and flags that llama.cpp selects by GGUF <c>tokenizer.ggml.pre</c>.</summary>
internal static class PreTokenizerPatterns
{
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";
    public const string Llama3 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Llama3CaseInsensitive = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Poro = @" ?[^(\s|.,!?…。，、।۔،)]+";
    private const string Tekken = @"[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Gpt4o = @"[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string CjkRun = "[一-龥ࠀ-一가-퟿]+";
    private const string DeepseekLlmLetters = @"\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+";

    /// <summary>How a <c>tokenizer.ggml.pre</c> value configures the BPE tokenizer.</summary>
    /// <remarks>
    /// <paramref name="ByteEncode"/> false: the vocabulary is spelled in raw UTF-8 with ▁ for spaces
    /// (<paramref name="EscapeWhitespaces"/>) and &lt;0xXX&gt; byte tokens, as Gemma 4's.
    /// </remarks>
    public sealed record Settings(string[] Patterns, bool IgnoreMerges = false, bool AddBos = false, bool ByteEncode = true, bool EscapeWhitespaces = false);

    /// <summary>The settings for a pre-tokenizer name, or null when llama.cpp does not know it either.</summary>
    public static Settings? For(string pre) => pre switch
    {
        "" or "default" => new([@"[\p{P}\$\+<=>\^~\|]+", Gpt2, @"\p{N}+", "[0-9][0-9][0-9]"]),
        "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "falcon-h1" or "pixtral" or "midm-2.0" or "lfm2" or "jina-v5-nano"
            => new([Llama3], IgnoreMerges: true, AddBos: true),
        "dbrx" or "smaug-bpe" or "glm4" or "chatglm-bpe" => new([Llama3]),
        // llama.cpp writes "\\s+$"; .NET's $ also matches before a final "\n", so spell "end of text" exactly.
        "deepseek-llm" => new(["[\r\n]", DeepseekLlmLetters, @"\s?[!-/:-~！-／：-～‘-‟　-。]+", @"\s+(?![\s\S])", CjkRun, @"\p{N}+"]),
        "deepseek-coder" => new(["[\r\n]", @"\s?\p{L}+", @"\s?\p{P}+", CjkRun, @"\p{N}"]),
        "falcon" => new([@"[\p{P}\$\+<=>\^~\|`]+", Gpt2, "[0-9][0-9][0-9]"]),
        "starcoder" or "refact" or "command-r" or "smollm" or "codeshell" or "exaone" or "minerva-7b" or "mellum2" => new([@"\p{N}", Gpt2]),
        "gpt-2" or "phi-2" or "jina-es" or "jina-de" or "gigachat" or "jina-v2-es" or "jina-v2-de" or "a.x-4.0" or "mellum" or "modern-bert"
            or "mpt" or "olmo" or "jais" or "trillion" or "granite-docling" or "exaone4" or "jina-v1-en" or "jina-v2-code" or "roberta-bpe"
            => new([Gpt2]),
        "qwen2" or "deepseek-r1-qwen" or "kormo" or "f2llmv2" or "stablelm2" or "megrez" or "hunyuan" or "solar-open" => new([Qwen2]),
        "poro-chat" or "bloom" or "gpt3-finnish" => new([Poro]),
        "viking" => new([Poro, @"\p{N}"]),
        "tekken" => new([Tekken], IgnoreMerges: true, AddBos: true),
        "chameleon" => new(["<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )", @"\p{N}", @"[\p{P}!-/:-@\[-`{-~]", Gpt2], AddBos: true),
        // SentencePiece-style BPE: only newlines split words; BOS is always added (llama.cpp overrides add_bos).
        "gemma4" or "granite-embed-multi-311m" => new(["[^\n]+|[\n]+"], AddBos: true, ByteEncode: false, EscapeWhitespaces: true),
        "gpt-4o" or "llama4" or "kanana2" or "talkie" or "minimax-m2" => new([Gpt4o]),
        _ => null,
    };
}
