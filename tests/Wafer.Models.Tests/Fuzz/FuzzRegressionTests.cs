using System.Text;
using Wafer.Models.Gguf;
using Wafer.Models.Tokenization;

namespace Wafer.Models.Tests.Fuzz;

/// <summary>The smallest inputs behind the crashes the fuzz harness found, each fixed in the source.</summary>
public sealed class FuzzRegressionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-fuzz-regression-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The embedded model with one same-length byte substitution in its header.</summary>
    private string Patched(string name, string find, string replace)
    {
        var bytes = File.ReadAllBytes(Repository.DefaultModel);
        int at = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(find));
        Assert.True(at >= 0, $"'{find}' is not in the embedded model");
        Encoding.UTF8.GetBytes(replace).CopyTo(bytes, at);
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void TokenBytes_ByteTokenNotSpelledHex_IsZeroNotFormatException()
    {
        using var file = GgufFile.Open(Patched("bad-byte-token.gguf", "<0x41>", "<0x B>"));
        var tokenizer = Tokenizer.FromMetadata(file.Metadata, "bad-byte-token.gguf");
        int id = Enumerable.Range(0, tokenizer.VocabularySize).Single(i => tokenizer.TokenText(i) == "<0x B>");

        Assert.Equal(new byte[] { 0 }, tokenizer.TokenBytes(id));
        Assert.Equal("\0", tokenizer.Decode([id]));
    }
}
