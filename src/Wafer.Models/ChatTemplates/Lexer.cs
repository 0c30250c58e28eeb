using System.Text;

namespace Wafer.Models.ChatTemplates;

/// <summary>
/// Splits a template into text and tag tokens, applying whitespace control the way Hugging Face
/// renders chat templates: <c>trim_blocks=True</c>, <c>lstrip_blocks=True</c>, plus <c>-</c>/<c>+</c> markers.
/// </summary>
internal sealed class Lexer
{
    private static readonly string[] Operators =
    [
        "**", "//", "==", "!=", "<=", ">=",
        "+", "-", "*", "/", "%", "~", "|", ".", ",", ":", "(", ")", "[", "]", "{", "}", "=", "<", ">",
    ];

    private readonly string source;
    private readonly List<Token> tokens = [];
    private int position;

    // Jinja's "line_starting": true at the start and after a tag whose trim consumed a newline.
    private bool lineStarting = true;

    // Offsets at which each line begins, for turning offsets into line/column.
    private readonly List<int> lineStarts = [0];

    private Lexer(string source)
    {
        this.source = source;
        for (var i = source.IndexOf('\n'); i >= 0; i = source.IndexOf('\n', i + 1))
        {
            lineStarts.Add(i + 1);
        }
    }

    public static List<Token> Tokenize(string source)
    {
        var lexer = new Lexer(source);
        lexer.Run();
        return lexer.tokens;
    }

    private void Run()
    {
        while (position < source.Length)
        {
            var tagStart = FindTagStart(position);
            if (tagStart < 0)
            {
                AddText(source[position..], position);
                break;
            }

            var kind = source[tagStart + 1];
            var marker = tagStart + 2 < source.Length ? source[tagStart + 2] : '\0';
            var text = source[position..tagStart];
            if (marker == '-')
            {
                text = text.TrimEnd();
            }
            else if (kind != '{' && marker != '+')
            {
                text = StripLineIndent(text);
            }

            AddText(text, position);
            position = tagStart + 2 + (marker is '-' or '+' ? 1 : 0);
            switch (kind)
            {
                case '#': SkipComment(tagStart); break;
                case '%': LexTag(tagStart, TokenKind.BlockStart, TokenKind.BlockEnd); break;
                default: LexTag(tagStart, TokenKind.VariableStart, TokenKind.VariableEnd); break;
            }
        }

        var (line, column) = PositionOf(source.Length);
        tokens.Add(new Token(TokenKind.EndOfFile, string.Empty, line, column));
    }

    private int FindTagStart(int from)
    {
        for (var i = source.IndexOf('{', from); i >= 0 && i + 1 < source.Length; i = source.IndexOf('{', i + 1))
        {
            if (source[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    // lstrip_blocks: spaces and tabs between a line start and a block or comment tag are removed.
    private string StripLineIndent(string text)
    {
        var lineStart = text.LastIndexOf('\n') + 1;
        if (lineStart == 0 && !lineStarting)
        {
            return text;
        }

        for (var i = lineStart; i < text.Length; i++)
        {
            if (!char.IsWhiteSpace(text[i]))
            {
                return text;
            }
        }

        return text[..lineStart];
    }

    private void AddText(string text, int offset)
    {
        if (text.Length > 0)
        {
            var (line, column) = PositionOf(offset);
            tokens.Add(new Token(TokenKind.Text, text, line, column));
        }
    }

    private void SkipComment(int tagStart)
    {
        var end = source.IndexOf("#}", position, StringComparison.Ordinal);
        if (end < 0)
        {
            throw Error("comment is not closed with '#}'", tagStart);
        }

        var stripAfter = source[end - 1] == '-' && end - 1 >= position;
        var keepNewline = source[end - 1] == '+' && end - 1 >= position;
        position = end + 2;
        AfterTag(stripAfter, trimNewline: !keepNewline);
    }

    private void LexTag(int tagStart, TokenKind startKind, TokenKind endKind)
    {
        var (line, column) = PositionOf(tagStart);
        tokens.Add(new Token(startKind, source.Substring(tagStart, 2), line, column));
        var closer = endKind == TokenKind.BlockEnd ? "%}" : "}}";
        var depth = 0;
        while (true)
        {
            SkipWhitespace();
            if (position >= source.Length)
            {
                throw Error($"tag is not closed with '{closer}'", tagStart);
            }

            var stripAfter = depth == 0 && Matches("-" + closer);
            var keepNewline = depth == 0 && endKind == TokenKind.BlockEnd && Matches("+" + closer);
            if (stripAfter || keepNewline || (depth == 0 && Matches(closer)))
            {
                var (endLine, endColumn) = PositionOf(position);
                position += closer.Length + (stripAfter || keepNewline ? 1 : 0);
                tokens.Add(new Token(endKind, closer, endLine, endColumn));
                AfterTag(stripAfter, trimNewline: endKind == TokenKind.BlockEnd && !keepNewline);
                if (endKind == TokenKind.BlockEnd && IsRawBlockStart())
                {
                    LexRawBody();
                }

                return;
            }

            var token = LexExpressionToken();
            depth += token.Kind != TokenKind.Operator ? 0 : token.Text switch
            {
                "(" or "[" or "{" => 1,
                ")" or "]" or "}" => -1,
                _ => 0,
            };
            tokens.Add(token);
        }
    }

    private void AfterTag(bool stripAfter, bool trimNewline)
    {
        lineStarting = false;
        if (stripAfter)
        {
            while (position < source.Length && char.IsWhiteSpace(source[position]))
            {
                lineStarting = source[position] == '\n';
                position++;
            }
        }
        else if (trimNewline && position < source.Length && source[position] == '\n')
        {
            position++;
            lineStarting = true;
        }
    }

    private bool IsRawBlockStart() =>
        tokens.Count >= 3 && tokens[^1].Kind == TokenKind.BlockEnd && tokens[^2].IsName("raw") && tokens[^3].Kind == TokenKind.BlockStart;

    // {% raw %}: everything up to {% endraw %} is text; the raw/endraw tags become a plain text token.
    private void LexRawBody()
    {
        var bodyStart = position;
        var search = position;
        while (true)
        {
            var tagStart = source.IndexOf("{%", search, StringComparison.Ordinal);
            if (tagStart < 0)
            {
                throw Error("'raw' block is not closed with '{% endraw %}'", bodyStart);
            }

            var cursor = tagStart + 2;
            var stripBefore = cursor < source.Length && source[cursor] == '-';
            cursor += stripBefore ? 1 : 0;
            while (cursor < source.Length && char.IsWhiteSpace(source[cursor]))
            {
                cursor++;
            }

            if (string.CompareOrdinal(source, cursor, "endraw", 0, 6) != 0)
            {
                search = tagStart + 2;
                continue;
            }

            tokens.RemoveRange(tokens.Count - 3, 3);
            var body = source[bodyStart..tagStart];
            AddText(stripBefore ? body.TrimEnd() : body, bodyStart);
            position = cursor + 6;
            SkipWhitespace();
            var stripAfter = Matches("-%}");
            var close = source.IndexOf("%}", position, StringComparison.Ordinal);
            position = close + 2;
            AfterTag(stripAfter, trimNewline: true);
            return;
        }
    }

    private Token LexExpressionToken()
    {
        var start = position;
        var (line, column) = PositionOf(start);
        var c = source[position];
        if (c is '\'' or '"')
        {
            return new Token(TokenKind.String, LexString(c), line, column);
        }

        if (char.IsAsciiDigit(c))
        {
            return LexNumber(line, column);
        }

        if (char.IsAsciiLetter(c) || c == '_')
        {
            while (position < source.Length && (char.IsAsciiLetterOrDigit(source[position]) || source[position] == '_'))
            {
                position++;
            }

            return new Token(TokenKind.Name, source[start..position], line, column);
        }

        foreach (var op in Operators)
        {
            if (Matches(op))
            {
                position += op.Length;
                return new Token(TokenKind.Operator, op, line, column);
            }
        }

        throw Error($"unexpected character '{c}'", start);
    }

    private Token LexNumber(int line, int column)
    {
        var start = position;
        var isFloat = false;
        while (position < source.Length && (char.IsAsciiDigit(source[position]) || source[position] == '_'))
        {
            position++;
        }

        if (position + 1 < source.Length && source[position] == '.' && char.IsAsciiDigit(source[position + 1]))
        {
            isFloat = true;
            position++;
            while (position < source.Length && char.IsAsciiDigit(source[position]))
            {
                position++;
            }
        }

        if (position < source.Length && source[position] is 'e' or 'E')
        {
            var save = position;
            position++;
            if (position < source.Length && source[position] is '+' or '-')
            {
                position++;
            }

            if (position < source.Length && char.IsAsciiDigit(source[position]))
            {
                isFloat = true;
                while (position < source.Length && char.IsAsciiDigit(source[position]))
                {
                    position++;
                }
            }
            else
            {
                position = save;
            }
        }

        var text = source[start..position].Replace("_", string.Empty, StringComparison.Ordinal);
        return new Token(isFloat ? TokenKind.Float : TokenKind.Integer, text, line, column);
    }

    private string LexString(char quote)
    {
        var start = position;
        position++;
        var builder = new StringBuilder();
        while (position < source.Length && source[position] != quote)
        {
            var c = source[position++];
            if (c != '\\' || position >= source.Length)
            {
                builder.Append(c);
                continue;
            }

            var escaped = source[position++];
            switch (escaped)
            {
                case 'n': builder.Append('\n'); break;
                case 't': builder.Append('\t'); break;
                case 'r': builder.Append('\r'); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case '0': builder.Append('\0'); break;
                case 'u' when position + 4 <= source.Length:
                    if (!int.TryParse(source.AsSpan(position, 4), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out int code))
                    {
                        throw Error($"'\\u' must be followed by four hex digits, got '{source.Substring(position, 4)}'", position - 2);
                    }

                    builder.Append((char)code);
                    position += 4;
                    break;
                case '\\' or '\'' or '"': builder.Append(escaped); break;
                case '\n': break;
                default: builder.Append('\\').Append(escaped); break;
            }
        }

        if (position >= source.Length)
        {
            throw Error("string literal is not closed", start);
        }

        position++;
        return builder.ToString();
    }

    private void SkipWhitespace()
    {
        while (position < source.Length && char.IsWhiteSpace(source[position]))
        {
            position++;
        }
    }

    private bool Matches(string text) => string.CompareOrdinal(source, position, text, 0, text.Length) == 0;

    private (int Line, int Column) PositionOf(int offset)
    {
        var index = lineStarts.BinarySearch(offset);
        var lineIndex = index >= 0 ? index : ~index - 1;
        return (lineIndex + 1, offset - lineStarts[lineIndex] + 1);
    }

    private TemplateException Error(string problem, int offset)
    {
        var (line, column) = PositionOf(offset);
        return new TemplateException(problem, line, column);
    }
}
