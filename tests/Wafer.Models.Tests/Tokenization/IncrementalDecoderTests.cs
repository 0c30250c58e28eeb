using System.Text;
using System.Text.Json;
using Wafer.Models.Tokenization;

namespace Wafer.Models.Tests.Tokenization;

public class IncrementalDecoderTests
{
    private const string Emoji = "🌸🚀👍🏽 and 👨‍👩‍👧 family, 中文 café";

    public static TheoryData<string> Models =>
    [
        "models/stories260K.gguf", "models/synth-llama-2L-128-Q8_0.gguf", "models/synth-qwen2-2L-128-Q8_0.gguf", "models/synth-bert-2L-128-Q8_0.gguf",
    ];

    [Theory]
    [MemberData(nameof(Models))]
    public void Append_EmojiSplitAcrossTokens_EmitsOnlyWholeCharacters(string model)
    {
        var tokenizer = TokenizerCache.Get(model);
        var ids = tokenizer.Encode(Emoji, addSpecial: false);
        var decoder = tokenizer.CreateIncrementalDecoder();
        var streamed = new StringBuilder();
        foreach (int id in ids)
        {
            string piece = decoder.Append(id);
            Assert.DoesNotContain('\uFFFD', piece);
            Assert.False(piece.Length > 0 && char.IsHighSurrogate(piece[^1]), "a piece ends inside a surrogate pair");
            streamed.Append(piece);
        }
        streamed.Append(decoder.Flush());
        Assert.Equal(tokenizer.Decode(ids), streamed.ToString());
    }

    [Fact]
    public void Append_ByteFallbackEmoji_HoldsBytesUntilCharacterCompletes()
    {
        var tokenizer = TokenizerCache.Get("models/stories260K.gguf");
        var ids = tokenizer.Encode("🌸", addSpecial: false, parseSpecial: false);
        var decoder = tokenizer.CreateIncrementalDecoder();
        var pieces = ids.Select(decoder.Append).ToList();
        // " " then the four bytes of U+1F338 as <0xF0> <0x9F> <0x8C> <0xB8>: nothing until the last one.
        Assert.Equal(" 🌸", string.Concat(pieces));
        Assert.All(pieces.Take(pieces.Count - 1).Skip(1), p => Assert.Equal("", p));
    }

    [Fact]
    public void Flush_IncompleteCharacter_EmitsReplacementCharacter()
    {
        var tokenizer = TokenizerCache.Get("models/stories260K.gguf");
        var decoder = tokenizer.CreateIncrementalDecoder();
        var ids = tokenizer.Encode("🌸", addSpecial: false);
        Assert.Equal(" ", decoder.Append(ids[0]));
        Assert.Equal("", decoder.Append(ids[1])); // <0xF0>, the lead byte of a 4-byte character
        Assert.Equal("\uFFFD", decoder.Flush());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Append_GoldenIds_ConcatenatesToDecode(string model)
    {
        var tokenizer = TokenizerCache.Get(model);
        using var json = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden/tokenizer.json")));
        var entry = json.RootElement.GetProperty("tokenizers").EnumerateObject().Select(p => p.Value).Single(v => v.GetProperty("model").GetString() == model);
        foreach (var result in entry.GetProperty("results").EnumerateArray())
        {
            int[] ids = result.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var decoder = tokenizer.CreateIncrementalDecoder();
            string streamed = string.Concat(ids.Select(decoder.Append)) + decoder.Flush();
            Assert.Equal(result.GetProperty("detokenized").GetString(), streamed);
        }
    }
}
