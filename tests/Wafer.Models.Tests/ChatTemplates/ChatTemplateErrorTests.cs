using Wafer.Models.ChatTemplates;
using Xunit;

namespace Wafer.Models.Tests.ChatTemplates;

public sealed class ChatTemplateErrorTests
{
    [Theory]
    [InlineData("a\n{% if x %}b", 2, 12, "expected one of 'elif', 'else', 'endif'")]
    [InlineData("{% frobnicate %}", 1, 4, "unknown tag 'frobnicate'")]
    [InlineData("\n  {{ 1 + }}", 2, 10, "unexpected '}}'")]
    [InlineData("{{ 'abc }}", 1, 4, "string literal is not closed")]
    [InlineData("x {{ a ? b }}", 1, 8, "unexpected character '?'")]
    [InlineData("{% for x in y %}{% endif %}", 1, 20, "unknown tag 'endif'")]
    [InlineData("{{ x", 1, 1, "tag is not closed with '}}'")]
    public void Parse_InvalidSyntax_ThrowsWithLineAndColumn(string source, int line, int column, string problem)
    {
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains($"line {line}, column {column}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a\n{{ 1 + 'x' }}", 2, 6, "unsupported operand types for +: 'int' and 'str'")]
    [InlineData("{{ nothing() }}", 1, 11, "'nothing' is undefined and cannot be called")]
    [InlineData("{% for x in 5 %}{% endfor %}", 1, 13, "'int' object is not iterable")]
    [InlineData("{{ 1 // 0 }}", 1, 6, "division or modulo by zero")]
    [InlineData("{{ 'a' | nosuchfilter }}", 1, 10, "unknown filter 'nosuchfilter'")]
    [InlineData("{{ 1 is nosuchtest }}", 1, 6, "unknown test 'nosuchtest'")]
    public void Render_RuntimeFailure_ThrowsWithLineAndColumn(string source, int line, int column, string problem)
    {
        var error = Assert.Throws<TemplateException>(() => TemplateHarness.Render(source));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.False(error.RaisedByTemplate);
    }

    [Fact]
    public void Render_RaiseException_CarriesTemplateMessage()
    {
        var error = Assert.Throws<TemplateException>(() => TemplateHarness.Render("\n  {{ raise_exception('Only user and assistant roles') }}"));

        Assert.True(error.RaisedByTemplate);
        Assert.Equal("Only user and assistant roles", error.Problem);
        Assert.Equal(2, error.Line);
    }
}
