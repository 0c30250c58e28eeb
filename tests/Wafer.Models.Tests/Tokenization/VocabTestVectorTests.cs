using Wafer.Models.Tokenization;

namespace Wafer.Models.Tests.Tokenization;

/// <summary>llama.cpp's test-tokenizer-0 vectors: no BOS/EOS, special-token text treated as plain text.</summary>
public class VocabTestVectorTests
{
    public static TheoryData<string> Vocabularies =>
    [
        "llama-spm", "phi-3", "llama-bpe", "qwen2", "gpt-2", "deepseek-coder", "starcoder", "falcon", "bert-bge", "gemma-4",
    ];

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void Encode_TestVectors_MatchLlamaCpp(string name)
    {
        string relative = $"vocab/ggml-vocab-{name}.gguf";
        var tokenizer = TokenizerCache.Get(relative);
        var check = new TokenAssert();
        foreach (var (text, ids) in VocabTestVectors.Load(Fixtures.Path(relative)))
            check.Ids(TokenAssert.Quote(text), ids, tokenizer.Encode(text, addSpecial: false, parseSpecial: false));
        check.ThrowIfAny(name);
    }
}
