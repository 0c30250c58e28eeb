using System.Globalization;
using System.Text;

namespace Wafer.Models.ChatTemplates;

/// <summary>The Python <c>str</c> methods chat templates call (<c>strip</c>, <c>split</c>, <c>startswith</c>, …).</summary>
internal static class StringMethods
{
    public static readonly HashSet<string> Names =
    [
        "startswith", "endswith", "split", "rsplit", "strip", "lstrip", "rstrip", "upper", "lower", "title",
        "capitalize", "replace", "find", "rfind", "index", "count", "format", "join", "isdigit", "isalpha",
        "isalnum", "isspace", "isupper", "islower", "splitlines", "removeprefix", "removesuffix",
    ];

    public static bool TryCall(string text, string name, Arguments arguments, out Value result)
    {
        result = name switch
        {
            "startswith" => Value.FromBool(MatchesAny(arguments.Required(0, "prefix"), p => text.StartsWith(p, StringComparison.Ordinal))),
            "endswith" => Value.FromBool(MatchesAny(arguments.Required(0, "suffix"), s => text.EndsWith(s, StringComparison.Ordinal))),
            "split" => Split(text, arguments, fromRight: false),
            "rsplit" => Split(text, arguments, fromRight: true),
            "strip" => Value.FromString(Strip(text, arguments.Get("chars", 0), left: true, right: true)),
            "lstrip" => Value.FromString(Strip(text, arguments.Get("chars", 0), left: true, right: false)),
            "rstrip" => Value.FromString(Strip(text, arguments.Get("chars", 0), left: false, right: true)),
            "upper" => Value.FromString(text.ToUpperInvariant()),
            "lower" => Value.FromString(text.ToLowerInvariant()),
            "title" => Value.FromString(Title(text)),
            "capitalize" => Value.FromString(Capitalize(text)),
            "replace" => Value.FromString(Replace(text, arguments)),
            "find" => Value.FromInt(text.IndexOf(arguments.RequiredString(0, "sub"), StringComparison.Ordinal)),
            "rfind" => Value.FromInt(text.LastIndexOf(arguments.RequiredString(0, "sub"), StringComparison.Ordinal)),
            "index" => Value.FromInt(IndexOrThrow(text, arguments.RequiredString(0, "sub"))),
            "count" => Value.FromInt(CountOccurrences(text, arguments.RequiredString(0, "sub"))),
            "format" => Value.FromString(Format(text, arguments)),
            "join" => Value.FromString(string.Join(text, Interpreter.Iterate(arguments.Required(0, "iterable"), new LiteralExpr(Value.None, 0, 0)).Select(v => v.ToString()))),
            "isdigit" => Value.FromBool(text.Length > 0 && text.All(char.IsDigit)),
            "isalpha" => Value.FromBool(text.Length > 0 && text.All(char.IsLetter)),
            "isalnum" => Value.FromBool(text.Length > 0 && text.All(char.IsLetterOrDigit)),
            "isspace" => Value.FromBool(text.Length > 0 && text.All(char.IsWhiteSpace)),
            "isupper" => Value.FromBool(text.Any(char.IsLetter) && text.ToUpperInvariant() == text),
            "islower" => Value.FromBool(text.Any(char.IsLetter) && text.ToLowerInvariant() == text),
            "splitlines" => Value.FromList([.. text.Split('\n').Select(l => Value.FromString(l.TrimEnd('\r')))]),
            "removeprefix" => Value.FromString(RemovePrefix(text, arguments.RequiredString(0, "prefix"))),
            "removesuffix" => Value.FromString(RemoveSuffix(text, arguments.RequiredString(0, "suffix"))),
            _ => Value.Undefined,
        };
        return Names.Contains(name);
    }

    /// <summary>Python <c>str.strip([chars])</c>: whitespace by default, otherwise any of the given characters.</summary>
    public static string Strip(string text, Value chars, bool left, bool right)
    {
        if (chars.IsUndefined || chars.IsNone)
        {
            return left && right ? text.Trim() : left ? text.TrimStart() : text.TrimEnd();
        }

        var set = chars.AsString.ToCharArray();
        return left && right ? text.Trim(set) : left ? text.TrimStart(set) : text.TrimEnd(set);
    }

    /// <summary>Python <c>str.title()</c>: a letter following a non-letter is upper-cased, others lower-cased.</summary>
    public static string Title(string text)
    {
        var builder = new StringBuilder(text.Length);
        var previousCased = false;
        foreach (var c in text)
        {
            builder.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = char.IsLetter(c);
        }

        return builder.ToString();
    }

    public static string Capitalize(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..].ToLowerInvariant();

    private static bool MatchesAny(Value candidates, Func<string, bool> predicate) =>
        candidates.Kind == ValueKind.List ? candidates.AsList.Any(c => predicate(c.AsString)) : predicate(candidates.AsString);

    private static Value Split(string text, Arguments arguments, bool fromRight)
    {
        var separator = arguments.Get("sep", 0);
        var maxSplit = arguments.Optional("maxsplit", 1, Value.FromInt(-1)).AsInt;
        List<string> parts;
        if (separator.IsUndefined || separator.IsNone)
        {
            parts = [.. text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)];
            if (maxSplit >= 0 && parts.Count > maxSplit + 1)
            {
                // Rare in templates: fall back to re-joining the tail with single spaces.
                parts = fromRight
                    ? [string.Join(' ', parts.Take(parts.Count - (int)maxSplit)), .. parts.Skip(parts.Count - (int)maxSplit)]
                    : [.. parts.Take((int)maxSplit), string.Join(' ', parts.Skip((int)maxSplit))];
            }
        }
        else
        {
            var sep = separator.AsString;
            if (sep.Length == 0)
            {
                throw new TemplateRuntimeException("empty separator");
            }

            parts = [.. text.Split(sep)];
            if (maxSplit >= 0 && parts.Count > maxSplit + 1)
            {
                parts = fromRight
                    ? [string.Join(sep, parts.Take(parts.Count - (int)maxSplit)), .. parts.Skip(parts.Count - (int)maxSplit)]
                    : [.. parts.Take((int)maxSplit), string.Join(sep, parts.Skip((int)maxSplit))];
            }
        }

        return Value.FromList([.. parts.Select(Value.FromString)]);
    }

    private static string Replace(string text, Arguments arguments)
    {
        var old = arguments.RequiredString(0, "old");
        var replacement = arguments.RequiredString(1, "new");
        var count = arguments.Optional("count", 2, Value.FromInt(-1)).AsInt;
        if (count < 0)
        {
            return old.Length == 0 ? text : text.Replace(old, replacement, StringComparison.Ordinal);
        }

        var builder = new StringBuilder();
        var position = 0;
        for (var done = 0; done < count; done++)
        {
            var found = text.IndexOf(old, position, StringComparison.Ordinal);
            if (found < 0 || old.Length == 0)
            {
                break;
            }

            builder.Append(text, position, found - position).Append(replacement);
            position = found + old.Length;
        }

        return builder.Append(text, position, text.Length - position).ToString();
    }

    private static int IndexOrThrow(string text, string sub)
    {
        var found = text.IndexOf(sub, StringComparison.Ordinal);
        return found >= 0 ? found : throw new TemplateRuntimeException("substring not found");
    }

    private static int CountOccurrences(string text, string sub)
    {
        if (sub.Length == 0)
        {
            return text.Length + 1;
        }

        var count = 0;
        for (var i = text.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = text.IndexOf(sub, i + sub.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    // Python str.format with "{}", "{0}" and "{name}" fields (no format specs).
    private static string Format(string text, Arguments arguments)
    {
        var builder = new StringBuilder();
        var automatic = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '{' && i + 1 < text.Length && text[i + 1] == '{' || c == '}' && i + 1 < text.Length && text[i + 1] == '}')
            {
                builder.Append(c);
                i++;
                continue;
            }

            if (c != '{')
            {
                builder.Append(c);
                continue;
            }

            var close = text.IndexOf('}', i);
            var field = text[(i + 1)..close];
            var value = field.Length == 0 ? arguments.Positional[automatic++]
                : int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var position) ? arguments.Positional[position]
                : arguments.Get(field, int.MaxValue);
            builder.Append(value.ToString());
            i = close;
        }

        return builder.ToString();
    }

    private static string RemovePrefix(string text, string prefix) =>
        text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : text;

    private static string RemoveSuffix(string text, string suffix) =>
        suffix.Length > 0 && text.EndsWith(suffix, StringComparison.Ordinal) ? text[..^suffix.Length] : text;
}
