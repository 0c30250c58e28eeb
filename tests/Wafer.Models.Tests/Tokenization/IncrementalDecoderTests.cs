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

/// <summary>The decoder's shortcut (a token's cached string while no character is split) against a plain UTF-8 decoder fed the
/// same pieces, token by token, on a fixture-free byte-fallback vocabulary: every byte value, valid and invalid sequences.</summary>
public sealed class IncrementalDecoderShortcutTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-decoder-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Append_RandomPiecesAndBytes_SameTextPerTokenAsAPlainDecoder(int seed)
    {
        using var file = Wafer.Models.Gguf.GgufFile.Open(Wafer.Models.Tests.Architectures.TinyModel.Write(_dir, "llama", byteFallback: true));
        var tokenizer = Tokenizer.FromMetadata(file.Metadata, "tiny.gguf");
        const int byteToken = Wafer.Models.Tests.Architectures.TinyModel.Vocab; // <0x00> … <0xFF> follow "t0" … "t39"
        byte[][] classes =
        [
            [0x41, 0x20],                                   // ASCII
            [0xC2, 0xC3, 0xDF],                             // 2-byte leads
            [0xE0, 0xE2, 0xED, 0xEF],                       // 3-byte leads (E0 and ED restrict the next byte)
            [0xF0, 0xF1, 0xF4],                             // 4-byte leads (F0 and F4 restrict the next byte)
            [0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF],           // continuations at each range edge
            [0xC0, 0xC1, 0xF5, 0xFF],                       // never valid
        ];
        var random = new Random(seed);
        int shared = 0;
        for (int round = 0; round < 200; round++)
        {
            var decoder = tokenizer.CreateIncrementalDecoder();
            var plain = new UTF8Encoding(false, false).GetDecoder();
            for (int i = 0; i < 40; i++)
            {
                int id = random.Next(4) == 0
                    ? random.Next(Wafer.Models.Tests.Architectures.TinyModel.Vocab)
                    : byteToken + classes[random.Next(classes.Length)][random.Next(2)];
                string expected = Plain(plain, tokenizer.TokenBytes(id), flush: false);
                string actual = decoder.Append(id);
                Assert.Equal(expected, actual);
                // A whole piece after a character boundary is the tokenizer's one cached string, not a new one.
                if (id < byteToken && ReferenceEquals(actual, tokenizer.CreateIncrementalDecoder().Append(id))) shared++;
            }
            Assert.Equal(Plain(plain, [], flush: true), decoder.Flush());
        }
        Assert.True(shared > 100, $"only {shared} tokens took the shortcut");
    }

    private static string Plain(Decoder decoder, byte[] bytes, bool flush)
    {
        var chars = new char[decoder.GetCharCount(bytes, flush)];
        int count = decoder.GetChars(bytes, 0, bytes.Length, chars, 0, flush);
        return new string(chars, 0, count);
    }
}
