using System.Text.Json;
using Wafer.Models.Tokenization;

namespace Wafer.Models.Tests.Tokenization;

public class SentencePieceTokenizerTests
{
    private static Tokenizer Stories => TokenizerCache.Get("models/stories260K.gguf");

    [Fact]
    public void Encode_OnceUponATime_MatchesLlamaServerPrompt()
    {
        Assert.Equal([1, 403, 407, 261, 378], Stories.Encode("Once upon a time"));
    }

    [Fact]
    public void Encode_Stories260KCompletionPrompts_MatchPromptTokens()
    {
        var tokenizer = Stories;
        using var json = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden/completions/stories260K.json")));
        var check = new TokenAssert();
        foreach (var c in json.RootElement.GetProperty("cases").EnumerateArray())
        {
            string prompt = c.GetProperty("prompt").GetString()!;
            int[] expected = c.GetProperty("prompt_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            check.Ids(TokenAssert.Quote(prompt), expected, tokenizer.Encode(prompt));
            check.Text("server_prompt_text", c.GetProperty("server_prompt_text").GetString()!, tokenizer.Decode(expected));
        }
        check.ThrowIfAny("stories260K completion prompts");
    }

    [Fact]
    public void Encode_PerplexityText_MatchesLlamaPerplexityTokens()
    {
        var tokenizer = Stories;
        string text = File.ReadAllText(Fixtures.Path("golden/ppl-text.txt"));
        using var json = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden/perplexity.json")));
        var model = json.RootElement.GetProperty("models").EnumerateArray().First();
        int[] expected = model.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var check = new TokenAssert();
        check.Ids("ppl-text.txt", expected, tokenizer.Encode(text));
        check.ThrowIfAny("perplexity text");
    }

    [Fact]
    public void Encode_EmptyText_IsBosOnlyWithSpecialAndEmptyWithout()
    {
        Assert.Equal([1], Stories.Encode(""));
        Assert.Empty(Stories.Encode("", addSpecial: false));
    }

    [Fact]
    public void Encode_BosTextWithParseSpecial_BecomesBosToken()
    {
        var ids = Stories.Encode("<s>Once", addSpecial: false, parseSpecial: true);
        Assert.Equal(1, ids[0]);
        Assert.NotEqual(1, Stories.Encode("<s>Once", addSpecial: false, parseSpecial: false)[0]);
    }

    [Fact]
    public void TokenBytes_WordToken_RendersMarkerAsSpace()
    {
        Assert.Equal(" Once"u8.ToArray(), Stories.TokenBytes(403));
        Assert.Equal("▁Once", Stories.TokenText(403));
    }

    [Fact]
    public void IsEndOfGeneration_Eos_IsTrue()
    {
        Assert.True(Stories.IsEndOfGeneration(Stories.EosTokenId));
        Assert.False(Stories.IsEndOfGeneration(403));
        Assert.True(Stories.AddBos);
        Assert.False(Stories.AddEos);
    }
}
