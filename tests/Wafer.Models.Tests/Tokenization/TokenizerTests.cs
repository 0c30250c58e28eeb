using Wafer.Models.Gguf;
using Wafer.Models.Tokenization;

namespace Wafer.Models.Tests.Tokenization;

public class TokenizerTests
{
    [Fact]
    public void FromMetadata_UnknownModel_NamesFileValueAndSupported()
    {
        var metadata = new GgufMetadata();
        metadata.Set("tokenizer.ggml.model", GgufValueType.String, "rwkv");
        var error = Assert.Throws<NotSupportedException>(() => Tokenizer.FromMetadata(metadata, "x.gguf"));
        Assert.Contains("x.gguf", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"rwkv\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"gpt2\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromMetadata_MissingModelKey_Throws()
    {
        var error = Assert.Throws<InvalidDataException>(() => Tokenizer.FromMetadata(new GgufMetadata(), "y.gguf"));
        Assert.Contains("y.gguf", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kinds_FixtureModels_MatchTokenizerModelKey()
    {
        Assert.Equal(TokenizerKind.SentencePiece, TokenizerCache.Get("models/stories260K.gguf").Kind);
        Assert.Equal(TokenizerKind.BytePair, TokenizerCache.Get("models/synth-qwen2-2L-128-Q8_0.gguf").Kind);
        Assert.Equal(TokenizerKind.WordPiece, TokenizerCache.Get("models/synth-bert-2L-128-Q8_0.gguf").Kind);
    }

    [Fact]
    public void IsEndOfGeneration_Qwen2ChatTokens_MatchLlamaCpp()
    {
        var qwen = TokenizerCache.Get("models/synth-qwen2-2L-128-Q8_0.gguf");
        int imEnd = qwen.Encode("<|im_end|>", addSpecial: false).Single();
        int endOfText = qwen.Encode("<|endoftext|>", addSpecial: false).Single();
        int imStart = qwen.Encode("<|im_start|>", addSpecial: false).Single();
        Assert.True(qwen.IsEndOfGeneration(imEnd));
        Assert.True(qwen.IsEndOfGeneration(endOfText));
        Assert.False(qwen.IsEndOfGeneration(imStart));
        Assert.False(qwen.AddBos);
        Assert.Equal("<|im_end|>", qwen.TokenText(imEnd));
    }

    [Fact]
    public void Encode_WordPieceWithSpecial_AddsClsAndSep()
    {
        var bert = TokenizerCache.Get("models/synth-bert-2L-128-Q8_0.gguf");
        var ids = bert.Encode("hello world");
        Assert.Equal([101, 7592, 2088, 102], ids);
    }

    [Fact]
    public void TokenBytes_ByteLevelToken_DecodesToRawBytes()
    {
        var qwen = TokenizerCache.Get("models/synth-qwen2-2L-128-Q8_0.gguf");
        int id = qwen.Encode(" world", addSpecial: false).Single();
        Assert.Equal(" world"u8.ToArray(), qwen.TokenBytes(id));
        Assert.Equal("Ġworld", qwen.TokenText(id));
    }

    [Fact]
    public void Encode_ConcurrentCalls_GiveSameIdsAsSequential()
    {
        var qwen = TokenizerCache.Get("models/synth-qwen2-2L-128-Q8_0.gguf");
        string[] texts = [.. Enumerable.Range(0, 64).Select(i => $"def f{i}(x):\n    return x ** {i}  # 🌸 café {i * 7919}")];
        var expected = texts.Select(t => qwen.Encode(t)).ToArray();
        var actual = new IReadOnlyList<int>[texts.Length];
        Parallel.For(0, texts.Length, i => actual[i] = qwen.Encode(texts[i]));
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], actual[i]);
    }
}
