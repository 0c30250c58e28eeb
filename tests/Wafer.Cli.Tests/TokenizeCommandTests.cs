using System.Text.Json;

namespace Wafer.Cli.Tests;

public sealed class TokenizeCommandTests : IDisposable
{
    private const string Qwen2 = "synth-qwen2 (Qwen2 BPE, 151936)";
    private const string Stories = "stories260K (tok512 SPM, 512)";

    private static readonly Lazy<JsonDocument> Golden = new(() => JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden/tokenizer.json"))));

    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-tokenize-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (string Model, string Text, int[] Ids, string Detokenized) Case(string tokenizer, int stringIndex)
    {
        var entry = Golden.Value.RootElement.GetProperty("tokenizers").GetProperty(tokenizer);
        var result = entry.GetProperty("results")[stringIndex];
        return (Fixtures.Path(entry.GetProperty("model").GetString()!), result.GetProperty("text").GetString()!,
            result.GetProperty("ids").Deserialize<int[]>()!, result.GetProperty("detokenized").GetString()!);
    }

    private static int[] ParseIds(WaferProcess.Result r)
    {
        CliAssert.Success(r);
        return JsonSerializer.Deserialize<int[]>(r.StdOut)!;
    }

    [Theory]
    [InlineData(Qwen2, 0)]
    [InlineData(Qwen2, 13)]
    [InlineData(Qwen2, 16)]
    [InlineData(Qwen2, 28)]
    [InlineData(Stories, 0)]
    [InlineData(Stories, 5)]
    [InlineData(Stories, 17)]
    public void Tokenize_GoldenString_MatchesLlamaServerIds(string tokenizer, int stringIndex)
    {
        var (model, text, ids, _) = Case(tokenizer, stringIndex);

        Assert.Equal(ids, ParseIds(WaferProcess.Run("tokenize", model, text)));
    }

    [Theory]
    [InlineData(Qwen2, 16)]
    [InlineData(Qwen2, 22)]
    [InlineData(Stories, 1)]
    [InlineData(Stories, 5)]
    public void Detokenize_GoldenIds_MatchesLlamaServerText(string tokenizer, int stringIndex)
    {
        var (model, _, ids, detokenized) = Case(tokenizer, stringIndex);

        var r = WaferProcess.Run("detokenize", model, string.Join(' ', ids));

        CliAssert.Success(r);
        Assert.Equal(detokenized, r.StdOut);
    }

    [Fact]
    public void Tokenize_File_MatchesText()
    {
        var (model, text, ids, _) = Case(Qwen2, 8);
        string path = Path.Combine(_dir, "text.txt");
        File.WriteAllText(path, text);

        Assert.Equal(ids, ParseIds(WaferProcess.Run("tokenize", model, "--file", path)));
    }

    [Fact]
    public void Tokenize_AddSpecial_PrependsBos()
    {
        string model = Fixtures.Path("models/stories260K.gguf");

        var ids = ParseIds(WaferProcess.Run("tokenize", model, "Once upon a time", "--add-special"));

        Assert.Equal([1, 403, 407, 261, 378], ids);
    }

    [Fact]
    public void Tokenize_NoParseSpecial_SplitsControlTokenText()
    {
        string model = Fixtures.Path("models/synth-qwen2-2L-128-Q8_0.gguf");

        var ids = ParseIds(WaferProcess.Run("tokenize", model, "<|im_start|>", "--no-parse-special"));

        Assert.DoesNotContain(151644, ids);
        Assert.True(ids.Length > 1);
    }

    [Fact]
    public void Tokenize_CommaSeparatedIdsRoundTrip_ReturnsOriginalText()
    {
        string model = Fixtures.Path("models/synth-qwen2-2L-128-Q8_0.gguf");
        const string text = "Wafer: naïve café → 日本語 🙂";
        var ids = ParseIds(WaferProcess.Run("tokenize", model, text));

        var r = WaferProcess.Run("detokenize", model, JsonSerializer.Serialize(ids));

        CliAssert.Success(r);
        Assert.Equal(text, r.StdOut);
    }

    [Fact]
    public void Tokenize_TextAndFile_OneLineError() =>
        CliAssert.OneLineError(WaferProcess.Run("tokenize", Fixtures.Path("models/stories260K.gguf"), "hi", "--file", "x.txt"), "exactly one of TEXT or --file");

    [Fact]
    public void Tokenize_NeitherTextNorFile_OneLineError() =>
        CliAssert.OneLineError(WaferProcess.Run("tokenize", Fixtures.Path("models/stories260K.gguf")), "exactly one of TEXT or --file");

    [Fact]
    public void Tokenize_MissingTextFile_OneLineError() =>
        CliAssert.OneLineError(WaferProcess.Run("tokenize", Fixtures.Path("models/stories260K.gguf"), "--file", Path.Combine(_dir, "nope.txt")), "nope.txt");

    [Fact]
    public void Tokenize_MissingModel_OneLineError() =>
        CliAssert.OneLineError(WaferProcess.Run("tokenize", Path.Combine(_dir, "nope.gguf"), "hi"), "nope.gguf");

    [Fact]
    public void Detokenize_IdOutsideVocabulary_OneLineErrorNamingIdAndSize() =>
        CliAssert.OneLineError(WaferProcess.Run("detokenize", Fixtures.Path("models/stories260K.gguf"), "1 512"), "token id 512 is outside the vocabulary of 'stories260K.gguf' (size 512)");

    [Fact]
    public void Detokenize_NotAnId_OneLineError() =>
        CliAssert.OneLineError(WaferProcess.Run("detokenize", Fixtures.Path("models/stories260K.gguf"), "1 two"), "'two' is not a token id");
}
