using System.Text;
using System.Text.Json;
using Wafer.Models.ChatTemplates;
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

    private static string Render(string source) => ChatTemplate.Parse(source).Render(new ChatTemplateContext
    {
        Messages = JsonSerializer.SerializeToElement(new[] { new { role = "user", content = "hi" } }),
    });

    [Theory]
    [InlineData("(", ")")]
    [InlineData("[", "]")]
    [InlineData("not ", "")]
    [InlineData("-", "")]
    public void Parse_ExpressionNested10000Deep_TemplateExceptionNotStackOverflow(string open, string close)
    {
        string source = "{{ " + string.Concat(Enumerable.Repeat(open, 10_000)) + "1" + string.Concat(Enumerable.Repeat(close, 10_000)) + " }}";

        var e = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source));
        Assert.Contains("deeper than", e.Message);
    }

    [Fact]
    public void Parse_Blocks5000Deep_TemplateExceptionNotStackOverflow()
    {
        string source = string.Concat(Enumerable.Repeat("{% if true %}", 5_000)) + "x" + string.Concat(Enumerable.Repeat("{% endif %}", 5_000));

        Assert.Contains("deeper than", Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source)).Message);
    }

    [Fact]
    public void Parse_Nested100Deep_StillParses()
    {
        string source = "{{ " + new string('(', 100) + "1" + new string(')', 100) + " }}";

        Assert.Equal("1", Render(source));
    }

    [Fact]
    public void Render_MacroCallingItselfForever_TemplateExceptionNotStackOverflow()
    {
        var e = Assert.Throws<TemplateException>(() => Render("{% macro r(n) %}{{ r(n) }}{% endmacro %}{{ r(1) }}"));

        Assert.Contains("macro 'r' calls nest deeper than", e.Message);
    }

    [Theory]
    [InlineData("{{ 'x'|items }}", "expected a dict, got a str")]
    [InlineData("{{ range('a') }}", "expected a int, got a str")]
    [InlineData("{{ 'ab' * 99999999999 }}", "would exceed")]
    [InlineData("{{ [1] * 99999999999 }}", "would exceed")]
    [InlineData("{{ range(99999999999)|length }}", "more than 1048576 items")]
    [InlineData("{{ 99999999999999999999 }}", "integer literal 99999999999999999999 is outside the 64-bit range")]
    [InlineData("{{ x.99999999999999999999 }}", "outside the 64-bit range")]
    public void Render_HostileValue_TemplateExceptionNotCastOverflowOrMemory(string source, string message)
    {
        Assert.Contains(message, Assert.Throws<TemplateException>(() => Render(source)).Message);
    }

    [Fact]
    public void Render_RangeUpToLongMaxValue_EndsInsteadOfOverflowing()
    {
        Assert.Equal("[9223372036854775800, 9223372036854775805]", Render("{{ range(9223372036854775800, 9223372036854775807, 5)|list }}"));
    }
}
