using System.Text;
using Wafer.Models.Gguf;

namespace Wafer.Models.Tokenization;

/// <summary>Special token ids, the end-of-generation set and the special-token split order, resolved as llama.cpp's <c>llama_vocab::load</c> does.</summary>
/// <remarks>
/// Besides the ids named in the GGUF, llama.cpp recognises end-of-turn, fill-in-the-middle and
/// end-of-generation tokens by their text (converters do not always record them), marks such
/// tokens as control tokens, and applies a few per-model attribute fixes. All of that changes
/// tokenization and detokenization, so it is reproduced here.
/// </remarks>
internal sealed class SpecialTokens
{
    private static readonly string[] EotTexts = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"];
    private static readonly string[] EomTexts = ["<|eom_id|>"];
    private static readonly string[] FimPreTexts = ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"];
    private static readonly string[] FimSufTexts = ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"];
    private static readonly string[] FimMidTexts = ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"];
    private static readonly string[] FimPadTexts = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"];
    private static readonly string[] FimRepTexts = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"];
    private static readonly string[] FimSepTexts = ["<|file_sep|>"];
    private static readonly string[] EogTexts = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["];
    private static readonly string[] AlwaysRenderedTexts = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"];

    public int Bos { get; private set; } = -1;
    public int Eos { get; private set; } = -1;
    public int Eot { get; private set; } = -1;
    public int Eom { get; private set; } = -1;
    public int Unk { get; private set; } = -1;
    public int Sep { get; private set; } = -1;
    public int Pad { get; private set; } = -1;
    public int Mask { get; private set; } = -1;

    /// <summary>Tokens that end generation (llama.cpp's <c>special_eog_ids</c>).</summary>
    public HashSet<int> EndOfGeneration { get; } = [];

    /// <summary>Control, user-defined and unknown tokens, longest text first: the order special text is split out.</summary>
    public int[] SplitOrder { get; private set; } = [];

    public static SpecialTokens Resolve(GgufMetadata metadata, Vocabulary vocabulary, TokenizerKind kind, string pre)
    {
        var s = new SpecialTokens();
        s.SetDefaults(kind, pre);
        int fimPre = -1, fimSuf = -1, fimMid = -1, fimPad = -1, fimRep = -1, fimSep = -1;
        int n = vocabulary.Count;
        s.Bos = Read(metadata, "tokenizer.ggml.bos_token_id", s.Bos, n);
        s.Eos = Read(metadata, "tokenizer.ggml.eos_token_id", s.Eos, n);
        s.Eot = Read(metadata, "tokenizer.ggml.eot_token_id", s.Eot, n);
        s.Eom = Read(metadata, "tokenizer.ggml.eom_token_id", s.Eom, n);
        s.Unk = Read(metadata, "tokenizer.ggml.unknown_token_id", s.Unk, n);
        s.Sep = Read(metadata, "tokenizer.ggml.seperator_token_id", s.Sep, n);
        s.Pad = Read(metadata, "tokenizer.ggml.padding_token_id", s.Pad, n);
        s.Mask = Read(metadata, "tokenizer.ggml.mask_token_id", s.Mask, n);
        fimPre = Read(metadata, "tokenizer.ggml.prefix_token_id", Read(metadata, "tokenizer.ggml.fim_pre_token_id", fimPre, n), n);
        fimSuf = Read(metadata, "tokenizer.ggml.suffix_token_id", Read(metadata, "tokenizer.ggml.fim_suf_token_id", fimSuf, n), n);
        fimMid = Read(metadata, "tokenizer.ggml.middle_token_id", Read(metadata, "tokenizer.ggml.fim_mid_token_id", fimMid, n), n);
        fimPad = Read(metadata, "tokenizer.ggml.fim_pad_token_id", fimPad, n);
        fimRep = Read(metadata, "tokenizer.ggml.fim_rep_token_id", fimRep, n);
        fimSep = Read(metadata, "tokenizer.ggml.fim_sep_token_id", fimSep, n);

        // Step 1: find unnamed end-of-turn and fill-in-the-middle tokens by text; they become control tokens.
        s.Eot = s.Eot >= 0 ? s.Eot : FindControl(vocabulary, EotTexts);
        s.Eom = s.Eom >= 0 ? s.Eom : FindControl(vocabulary, EomTexts);
        fimPre = fimPre >= 0 ? fimPre : FindControl(vocabulary, FimPreTexts);
        fimSuf = fimSuf >= 0 ? fimSuf : FindControl(vocabulary, FimSufTexts);
        fimMid = fimMid >= 0 ? fimMid : FindControl(vocabulary, FimMidTexts);
        fimPad = fimPad >= 0 ? fimPad : FindControl(vocabulary, FimPadTexts);
        fimRep = fimRep >= 0 ? fimRep : FindControl(vocabulary, FimRepTexts);
        fimSep = fimSep >= 0 ? fimSep : FindControl(vocabulary, FimSepTexts);

        // Step 2: control tokens named "unused" are unused.
        for (int id = 0; id < n; id++)
            if (vocabulary.Has(id, TokenAttributes.Control) && vocabulary.Tokens[id].Contains("unused", StringComparison.Ordinal))
                vocabulary.Attributes[id] |= TokenAttributes.Unused;

        // Step 3: the end-of-generation set.
        foreach (int id in new[] { fimPad, fimRep, fimSep }) if (id >= 0) s.EndOfGeneration.Add(id);
        foreach (string text in EogTexts)
        {
            int id = vocabulary.Find(text);
            if (id < 0) continue;
            s.EndOfGeneration.Add(id);
            vocabulary.Attributes[id] |= TokenAttributes.Control;
        }
        foreach (string text in AlwaysRenderedTexts)
        {
            int id = vocabulary.Find(text);
            if (id >= 0) vocabulary.Attributes[id] = TokenAttributes.UserDefined;
        }
        foreach (int id in new[] { s.Eos, s.Eot, s.Eom }) if (id >= 0) s.EndOfGeneration.Add(id);
        s.ApplyEogWorkarounds(vocabulary);

        // Step 4: split order, then per-model strip attributes (they do not change the order's membership).
        s.SplitOrder = BuildSplitOrder(vocabulary);
        ApplyModelAttributes(metadata, vocabulary, s.SplitOrder);
        return s;
    }

    private void SetDefaults(TokenizerKind kind, string pre)
    {
        switch (kind)
        {
            case TokenizerKind.SentencePiece: Bos = 1; Eos = 2; Unk = 0; break;
            case TokenizerKind.WordPiece: Bos = 101; Unk = 100; Sep = 102; Pad = 0; Mask = 103; break;
            // Gemma 4 takes every special id from the file.
            case TokenizerKind.BytePair when pre == "gemma4": break;
            case TokenizerKind.BytePair: Bos = pre is "glm4" or "chatglm-bpe" ? -1 : 11; Eos = 11; break;
        }
    }

    private static int Read(GgufMetadata metadata, string key, int fallback, int count)
    {
        // Defaults outside the vocabulary are disabled; a bad id in the file keeps the default.
        if (fallback >= count) fallback = -1;
        long id = metadata.GetInt64OrDefault(key, -1);
        return id >= 0 && id < count ? (int)id : fallback;
    }

    private static int FindControl(Vocabulary vocabulary, string[] texts)
    {
        foreach (string text in texts)
        {
            int id = vocabulary.Find(text);
            if (id < 0) continue;
            vocabulary.Attributes[id] |= TokenAttributes.Control;
            return id;
        }
        return -1;
    }

    private void ApplyEogWorkarounds(Vocabulary vocabulary)
    {
        // gpt-oss (o200k_harmony) and solar-open: "<|end|>" ends a message, not the generation.
        bool Has(string text) => vocabulary.Find(text) is int id && id >= 0 && EndOfGeneration.Contains(id);
        int end = vocabulary.Find("<|end|>");
        bool hasCall = Has("<|call|>") || Has("<|calls|>");
        if (end >= 0 && Has("<|end|>") && ((Has("<|return|>") && hasCall) || (hasCall && Has("<|flush|>"))))
        {
            EndOfGeneration.Remove(end);
            vocabulary.Attributes[end] = TokenAttributes.UserDefined;
        }
        // gemma4 and paddleocr: "</s>" is not an end-of-generation token there.
        int s = vocabulary.Find("</s>");
        if (s >= 0 && Has("</s>") && Has("<|tool_response>"))
        {
            EndOfGeneration.Remove(s);
            vocabulary.Attributes[s] = TokenAttributes.Normal;
        }
    }

    private static int[] BuildSplitOrder(Vocabulary vocabulary)
    {
        const TokenAttributes special = TokenAttributes.Control | TokenAttributes.UserDefined | TokenAttributes.Unknown;
        var ids = new List<int>();
        for (int id = 0; id < vocabulary.Count; id++) if (vocabulary.Has(id, special)) ids.Add(id);
        var lengths = ids.ToDictionary(id => id, id => Encoding.UTF8.GetByteCount(vocabulary.Tokens[id]));
        // llama.cpp sorts by byte length only (std::sort, unstable); ties keep id order here.
        return [.. ids.OrderByDescending(id => lengths[id]).ThenBy(id => id)];
    }

    private static void ApplyModelAttributes(GgufMetadata metadata, Vocabulary vocabulary, int[] splitOrder)
    {
        string name = (metadata.GetStringOrDefault("general.name") ?? "").ToLowerInvariant();
        string pre = metadata.GetStringOrDefault("tokenizer.ggml.pre") ?? "";
        string arch = metadata.GetStringOrDefault("general.architecture") ?? "";
        if (pre is "jina-v2-de" or "jina-v2-es" or "jina-v2-code" || arch.Contains("nomic-bert-moe", StringComparison.Ordinal) || arch.Contains("jina-bert-v3", StringComparison.Ordinal))
        {
            SetFlag(vocabulary, "<mask>", TokenAttributes.LStrip, true);
        }
        else if (name.Contains("phi-3", StringComparison.Ordinal) || name.Contains("phi3", StringComparison.Ordinal))
        {
            foreach (int id in splitOrder) vocabulary.Attributes[id] |= TokenAttributes.RStrip;
            SetFlag(vocabulary, "</s>", TokenAttributes.RStrip, true);
            foreach (string text in new[] { "<unk>", "<s>", "<|endoftext|>" }) SetFlag(vocabulary, text, TokenAttributes.RStrip, false);
        }
        else if (name.Contains("modern-bert", StringComparison.Ordinal))
        {
            SetFlag(vocabulary, "[MASK]", TokenAttributes.LStrip, true);
        }
    }

    private static void SetFlag(Vocabulary vocabulary, string text, TokenAttributes flag, bool on)
    {
        int id = vocabulary.Find(text);
        if (id < 0) return;
        if (on) vocabulary.Attributes[id] |= flag; else vocabulary.Attributes[id] &= ~flag;
    }
}
