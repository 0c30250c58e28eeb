using System.Text.Json;

namespace Wafer.Cli.Tests;

public class RunCommandTests
{
    [Fact]
    public void Run_Stories260KGreedy_MatchesLlamaCpp()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden/completions/stories260K.json")));
        var once = golden.RootElement.GetProperty("cases").EnumerateArray().First(c => c.GetProperty("prompt").GetString() == "Once upon a time");
        string expected = once.GetProperty("generated_text").GetString()!;
        int count = once.GetProperty("generated_tokens").GetArrayLength();

        var r = WaferProcess.Run("run", Fixtures.Path("models/stories260K.gguf"), "--prompt", "Once upon a time", "-n", $"{count}", "--temp", "0");

        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal(expected + "\n", r.StdOut);
        Assert.Contains("tokens/s", r.StdErr);
    }

    // The repacked (default) and the mapped layout both reproduce llama.cpp's greedy text; llama.cpp repacks Q4_0 too.
    [Theory]
    [InlineData("stories260K-Q4_0")]
    [InlineData("stories260K-Q8_0")]
    public void Run_QuantizedGreedy_MatchesLlamaCppWithAndWithoutRepacking(string model)
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Fixtures.Path($"golden/completions/{model}.json")));
        var once = golden.RootElement.GetProperty("cases").EnumerateArray().First(c => c.GetProperty("prompt").GetString() == "Once upon a time");
        string expected = once.GetProperty("generated_text").GetString()!;
        int count = once.GetProperty("generated_tokens").GetArrayLength();

        foreach (string[] extra in new[] { Array.Empty<string>(), ["--no-repack"] })
        {
            var r = WaferProcess.Run(["run", Fixtures.Path($"models/{model}.gguf"), "--prompt", "Once upon a time", "-n", $"{count}", "--temp", "0", .. extra]);
            Assert.True(r.ExitCode == 0, r.StdErr);
            Assert.Equal(expected + "\n", r.StdOut);
        }
    }

    [Fact]
    public void Logits_Stories260K_PrintsOneJsonLinePerPosition()
    {
        var r = WaferProcess.Run("logits", Fixtures.Path("models/stories260K.gguf"), "--tokens", "1 403 407", "--top", "3");
        Assert.True(r.ExitCode == 0, r.StdErr);
        var lines = r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        using var last = JsonDocument.Parse(lines[2]);
        Assert.Equal(2, last.RootElement.GetProperty("pos").GetInt32());
        var top = last.RootElement.GetProperty("top");
        Assert.Equal(3, top.GetArrayLength());
        Assert.True(top[0][1].GetSingle() <= 0 && top[0][1].GetSingle() >= top[1][1].GetSingle());
    }

    [Fact]
    public void Logits_BadToken_OneLineError()
    {
        var r = WaferProcess.Run("logits", Fixtures.Path("models/stories260K.gguf"), "--tokens", "1 abc");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("'abc' is not a token id", r.StdErr);
    }
}
