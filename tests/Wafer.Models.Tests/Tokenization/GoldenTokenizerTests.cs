using System.Text.Json;

namespace Wafer.Models.Tests.Tokenization;

/// <summary>golden/tokenizer.json: llama-server /tokenize (add_special false, parse_special true) and /detokenize.</summary>
public class GoldenTokenizerTests
{
    public static TheoryData<string> Tokenizers => ["synth-llama", "synth-qwen2", "synth-bert", "stories260K"];

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void EncodeAndDecode_GoldenStrings_MatchLlamaServer(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden/tokenizer.json")));
        var entry = json.RootElement.GetProperty("tokenizers").EnumerateObject().Single(p => p.Name.StartsWith(name + " ", StringComparison.Ordinal)).Value;
        var tokenizer = TokenizerCache.Get(entry.GetProperty("model").GetString()!);
        var check = new TokenAssert();
        foreach (var result in entry.GetProperty("results").EnumerateArray())
        {
            string text = result.GetProperty("text").GetString()!;
            int[] expected = result.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            check.Ids(TokenAssert.Quote(text), expected, tokenizer.Encode(text, addSpecial: false, parseSpecial: true));
            check.Text("detokenize " + TokenAssert.Quote(text), result.GetProperty("detokenized").GetString()!, tokenizer.Decode(expected));
        }
        check.ThrowIfAny(name);
    }
}
