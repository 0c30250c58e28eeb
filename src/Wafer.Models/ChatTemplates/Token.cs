namespace Wafer.Models.ChatTemplates;

/// <summary>Lexical categories of a template: raw text, tag delimiters, and expression tokens inside tags.</summary>
internal enum TokenKind
{
    Text,
    BlockStart,
    BlockEnd,
    VariableStart,
    VariableEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    EndOfFile,
}

/// <summary>One token with its 1-based source position.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Line, int Column)
{
    public bool Is(TokenKind kind, string text) => Kind == kind && Text == text;

    public bool IsOperator(string text) => Kind == TokenKind.Operator && Text == text;

    public bool IsName(string text) => Kind == TokenKind.Name && Text == text;

    public override string ToString() => Kind switch
    {
        TokenKind.EndOfFile => "end of template",
        TokenKind.BlockEnd => "'%}'",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.Text => "text",
        _ => $"'{Text}'",
    };
}
