using System.Globalization;
using System.Text;

namespace Wafer.Models.Constraints;

/// <summary>An element of a GBNF sequence with its repetition: <c>x</c>, <c>x?</c>, <c>x*</c>, <c>x+</c>, <c>x{m}</c>, <c>x{m,}</c>, <c>x{m,n}</c>.</summary>
internal sealed record GbnfItem(GbnfNode Node, int Min, int Max); // Max = −1: unbounded

/// <summary>What a GBNF element is.</summary>
internal abstract record GbnfNode;

/// <summary>A quoted literal, as code points.</summary>
internal sealed record GbnfLiteral(int[] CodePoints) : GbnfNode;

/// <summary>A character class <c>[a-z_]</c> or <c>[^"\\]</c>, or <c>.</c> (any character).</summary>
internal sealed record GbnfClass((int First, int Last)[] Ranges, bool Negated) : GbnfNode;

/// <summary>A reference to a rule, with where it appears (for the error naming an undefined rule).</summary>
internal sealed record GbnfReference(string Name, int Line) : GbnfNode;

/// <summary>A parenthesised group of alternatives.</summary>
internal sealed record GbnfGroup(List<List<GbnfItem>> Alternatives) : GbnfNode;

/// <summary>Parses the GBNF dialect llama.cpp accepts (its <c>grammars/</c> folder and llama-server's <c>grammar</c> field):
/// <c>name ::= alternatives</c> rules, <c>|</c>, literals with <c>\n \t \r \\ \" \[ \] \xHH \uHHHH \UHHHHHHHH</c> escapes,
/// character classes with ranges and <c>^</c>, <c>.</c>, groups, <c>? * +</c> and <c>{m} {m,} {m,n}</c>, and <c>#</c> comments.
/// A rule ends at a newline outside parentheses; the start rule is <c>root</c>.</summary>
internal sealed class GbnfParser
{
    private readonly string _text;
    private int _pos;

    private GbnfParser(string text) => _text = text;

    /// <summary>The rules of <paramref name="text"/> in definition order; throws <see cref="GrammarException"/> naming the line.</summary>
    public static List<(string Name, List<List<GbnfItem>> Alternatives)> Parse(string text)
    {
        var parser = new GbnfParser(text);
        var rules = new List<(string, List<List<GbnfItem>>)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        parser.Space(newlines: true);
        while (parser._pos < text.Length)
        {
            int line = parser.Line;
            string name = parser.Name() ?? throw parser.Error("expected a rule name");
            parser.Space(newlines: false);
            if (!parser.Take("::=")) throw parser.Error($"expected '::=' after the rule name '{name}'");
            parser.Space(newlines: true);
            var alternatives = parser.Alternatives(nested: false);
            if (!seen.Add(name)) throw new GrammarException($"line {line}: the rule '{name}' is defined twice");
            rules.Add((name, alternatives));
            if (parser._pos < text.Length && !parser.AtNewline()) throw parser.Error("expected the end of the line after the rule");
            parser.Space(newlines: true);
        }
        if (rules.Count == 0) throw new GrammarException("the grammar defines no rules (it needs at least 'root ::= …')");
        return rules;
    }

    private int Line => 1 + _text.AsSpan(0, _pos).Count('\n');

    private GrammarException Error(string message)
    {
        int lineStart = _text.LastIndexOf('\n', Math.Max(0, _pos - 1)) + 1;
        string near = _pos < _text.Length ? $" near '{Excerpt()}'" : " at the end";
        return new GrammarException($"line {Line}, column {_pos - lineStart + 1}: {message}{near}");
    }

    private string Excerpt()
    {
        int end = _text.IndexOf('\n', _pos);
        if (end < 0) end = _text.Length;
        return _text[_pos..Math.Min(end, _pos + 20)];
    }

    private bool AtNewline() => _pos < _text.Length && _text[_pos] is '\n' or '\r';

    private void Space(bool newlines)
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c is ' ' or '\t' || (newlines && c is '\n' or '\r')) _pos++;
            else if (c == '#') { while (_pos < _text.Length && _text[_pos] is not ('\n' or '\r')) _pos++; }
            else break;
        }
    }

    private bool Take(string token)
    {
        if (string.CompareOrdinal(_text, _pos, token, 0, token.Length) != 0) return false;
        _pos += token.Length;
        return true;
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    private string? Name()
    {
        int start = _pos;
        while (_pos < _text.Length && IsWordChar(_text[_pos])) _pos++;
        return _pos > start ? _text[start.._pos] : null;
    }

    private List<List<GbnfItem>> Alternatives(bool nested)
    {
        var alternatives = new List<List<GbnfItem>> { Sequence(nested) };
        while (_pos < _text.Length && _text[_pos] == '|')
        {
            _pos++;
            Space(newlines: true);
            alternatives.Add(Sequence(nested));
        }
        return alternatives;
    }

    private List<GbnfItem> Sequence(bool nested)
    {
        var items = new List<GbnfItem>();
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            GbnfNode node;
            int line = Line;
            if (c == '"') node = new GbnfLiteral(Literal());
            else if (c == '[') node = Class();
            else if (c == '.') { _pos++; node = new GbnfClass([(0, 0x10FFFF)], Negated: false); }
            else if (c == '(')
            {
                _pos++;
                Space(newlines: true);
                var group = Alternatives(nested: true);
                if (_pos >= _text.Length || _text[_pos] != ')') throw Error("expected ')'");
                _pos++;
                node = new GbnfGroup(group);
            }
            else if (IsWordChar(c))
            {
                string name = Name()!;
                node = new GbnfReference(name, line);
            }
            else if (c == '<') throw Error("token references (<...>, <[id]>) are not supported; write the text as a literal");
            else break;
            var (min, max) = Repetition();
            items.Add(new GbnfItem(node, min, max));
            Space(newlines: nested);
        }
        return items;
    }

    private (int Min, int Max) Repetition()
    {
        if (_pos >= _text.Length) return (1, 1);
        switch (_text[_pos])
        {
            case '*': _pos++; return (0, -1);
            case '+': _pos++; return (1, -1);
            case '?': _pos++; return (0, 1);
            case '{':
                _pos++;
                Space(newlines: false);
                int min = Number() ?? throw Error("expected a number after '{'");
                Space(newlines: false);
                int max = min;
                if (_pos < _text.Length && _text[_pos] == ',')
                {
                    _pos++;
                    Space(newlines: false);
                    max = Number() ?? -1;
                    Space(newlines: false);
                }
                if (_pos >= _text.Length || _text[_pos] != '}') throw Error("expected '}'");
                _pos++;
                if (max >= 0 && max < min) throw Error($"the repetition {{{min},{max}}} has its maximum below its minimum");
                if (Math.Max(min, max) > 10_000) throw Error("repetition counts above 10000 are not supported");
                return (min, max);
            default:
                return (1, 1);
        }
    }

    private int? Number()
    {
        int start = _pos;
        while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos])) _pos++;
        return _pos > start && int.TryParse(_text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;
    }

    private int[] Literal()
    {
        _pos++; // opening quote
        var codePoints = new List<int>();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] is '\n' or '\r') throw Error("unterminated string literal");
            if (_text[_pos] == '"') { _pos++; return [.. codePoints]; }
            codePoints.Add(Char());
        }
    }

    private GbnfClass Class()
    {
        _pos++; // [
        bool negated = _pos < _text.Length && _text[_pos] == '^';
        if (negated) _pos++;
        var ranges = new List<(int, int)>();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] is '\n' or '\r') throw Error("unterminated character class");
            if (_text[_pos] == ']') { _pos++; break; }
            int first = Char();
            int last = first;
            if (_pos + 1 < _text.Length && _text[_pos] == '-' && _text[_pos + 1] != ']')
            {
                _pos++;
                last = Char();
                if (last < first) throw Error($"the range {Show(first)}-{Show(last)} is reversed");
            }
            ranges.Add((first, last));
        }
        return new GbnfClass([.. ranges], negated);
    }

    private static string Show(int c) => c is >= 0x20 and < 0x7F ? ((char)c).ToString() : $"U+{c:X4}";

    // One character of a literal or class, escapes decoded, surrogate pairs joined.
    private int Char()
    {
        char c = _text[_pos];
        if (c != '\\')
        {
            if (char.IsHighSurrogate(c) && _pos + 1 < _text.Length && char.IsLowSurrogate(_text[_pos + 1]))
            {
                int cp = char.ConvertToUtf32(c, _text[_pos + 1]);
                _pos += 2;
                return cp;
            }
            _pos++;
            return c;
        }
        if (_pos + 1 >= _text.Length) throw Error("a backslash ends the text");
        char e = _text[_pos + 1];
        _pos += 2;
        switch (e)
        {
            case 'n': return '\n';
            case 't': return '\t';
            case 'r': return '\r';
            case '\\': case '"': case '[': case ']': case '-': case '^': return e;
            case 'x': return Hex(2);
            case 'u': return Hex(4);
            case 'U': return Hex(8);
            default:
                _pos -= 2;
                throw Error($"unknown escape '\\{e}'");
        }
    }

    private int Hex(int digits)
    {
        if (_pos + digits > _text.Length || !int.TryParse(_text.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int value))
            throw Error($"expected {digits} hexadecimal digits");
        _pos += digits;
        if (value > 0x10FFFF) throw Error($"U+{value:X} is beyond Unicode");
        return value;
    }
}
