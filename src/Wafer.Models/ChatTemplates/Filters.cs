using System.Globalization;
using System.Text;

namespace Wafer.Models.ChatTemplates;

/// <summary>Jinja filters (<c>value | name(args)</c>) used by chat templates; collection filters live in <see cref="SequenceFilters"/>.</summary>
internal static class Filters
{
    public static Value Apply(string name, Value input, Arguments arguments)
    {
        return name switch
        {
            "tojson" => ToJson(input, arguments),
            "trim" => Value.FromString(StringMethods.Strip(Text(input, name), arguments.Get("chars", 0), left: true, right: true)),
            "length" or "count" => Value.FromInt(Length(input)),
            "upper" => Value.FromString(Text(input, name).ToUpperInvariant()),
            "lower" => Value.FromString(Text(input, name).ToLowerInvariant()),
            "title" => Value.FromString(StringMethods.Title(Text(input, name))),
            "capitalize" => Value.FromString(StringMethods.Capitalize(Text(input, name))),
            "replace" => StringMethodCall(Text(input, name), "replace", arguments),
            "default" or "d" => Default(input, arguments),
            "string" => Value.FromString(input.ToString()),
            "safe" => input,
            "escape" or "e" => Value.FromString(Escape(input.ToString())),
            "int" => ToInt(input, arguments),
            "float" => ToFloat(input, arguments),
            "abs" => input.Kind == ValueKind.Float ? Value.FromDouble(Math.Abs(input.AsDouble)) : Value.FromInt(Math.Abs(input.AsInt)),
            "round" => Round(input, arguments),
            "indent" => Value.FromString(Indent(Text(input, name), arguments)),
            "wordcount" => Value.FromInt(Text(input, name).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length),
            "from_json" => JsonValueConverter.Parse(Text(input, name)),
            _ => SequenceFilters.Apply(name, input, arguments),
        };
    }

    /// <summary>Python <c>len()</c>; undefined has length 0 as in Jinja.</summary>
    public static long Length(Value input) => input.Kind switch
    {
        ValueKind.String => Interpreter.EnumerateCharacters(input.AsString).LongCount(),
        ValueKind.List => input.AsList.Count,
        ValueKind.Dict => input.AsDict.Count,
        ValueKind.Undefined => 0,
        _ => throw new TemplateRuntimeException($"object of type '{input.TypeName}' has no len()"),
    };

    private static string Text(Value input, string filter) => input.Kind switch
    {
        ValueKind.String => input.AsString,
        ValueKind.Undefined => string.Empty,
        _ => input.ToString(),
    };

    private static Value StringMethodCall(string text, string method, Arguments arguments)
    {
        StringMethods.TryCall(text, method, arguments, out var result);
        return result;
    }

    // tojson(indent=None, ensure_ascii=False, separators=None, sort_keys=False) as transformers defines it;
    // without indent Python's default separators are ", " and ": ", with indent "," and ": ".
    private static Value ToJson(Value input, Arguments arguments)
    {
        var indentValue = arguments.Get("indent", 0);
        int? indent = indentValue.Kind == ValueKind.Int ? (int)indentValue.AsInt : null;
        var separators = arguments.Get("separators", 2);
        var itemSeparator = indent is null ? ", " : ",";
        var keySeparator = ": ";
        if (separators.Kind == ValueKind.List && separators.AsList.Count == 2)
        {
            itemSeparator = separators.AsList[0].AsString;
            keySeparator = separators.AsList[1].AsString;
        }

        var sortKeys = arguments.Get("sort_keys", 3).IsTruthy();
        return Value.FromString(ValueFormatter.ToJson(input, indent, itemSeparator, keySeparator, sortKeys));
    }

    // llama.cpp replaces undefined and none (not only undefined, as Python Jinja does) unless boolean=true asks for falsiness.
    private static Value Default(Value input, Arguments arguments)
    {
        var fallback = arguments.Optional("default_value", 0, Value.EmptyString);
        var boolean = arguments.Get("boolean", 1).IsTruthy();
        var missing = boolean ? !input.IsTruthy() : input.IsUndefined || input.IsNone;
        return missing ? fallback : input;
    }

    private static Value ToInt(Value input, Arguments arguments)
    {
        var fallback = arguments.Optional("default", 0, Value.FromInt(0));
        return input.Kind switch
        {
            ValueKind.Int => input,
            ValueKind.Bool => Value.FromInt(input.AsInt),
            ValueKind.Float => Value.FromInt((long)Math.Truncate(input.AsDouble)),
            ValueKind.String when long.TryParse(input.AsString.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) => Value.FromInt(parsed),
            ValueKind.String when double.TryParse(input.AsString.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var real) => Value.FromInt((long)Math.Truncate(real)),
            _ => fallback,
        };
    }

    private static Value ToFloat(Value input, Arguments arguments)
    {
        var fallback = arguments.Optional("default", 0, Value.FromDouble(0));
        return input.Kind switch
        {
            ValueKind.Int or ValueKind.Float or ValueKind.Bool => Value.FromDouble(input.AsDouble),
            ValueKind.String when double.TryParse(input.AsString.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var real) => Value.FromDouble(real),
            _ => fallback,
        };
    }

    private static Value Round(Value input, Arguments arguments)
    {
        var precision = (int)arguments.Optional("precision", 0, Value.FromInt(0)).AsInt;
        var method = arguments.Optional("method", 1, Value.FromString("common")).AsString;
        var scale = Math.Pow(10, precision);
        var scaled = input.AsDouble * scale;
        var rounded = method switch
        {
            "ceil" => Math.Ceiling(scaled),
            "floor" => Math.Floor(scaled),
            _ => Math.Round(scaled, MidpointRounding.AwayFromZero),
        };
        return Value.FromDouble(rounded / scale);
    }

    // Jinja indent(width=4, first=False, blank=False): indents every line but the first; blank lines stay empty.
    private static string Indent(string text, Arguments arguments)
    {
        var width = arguments.Optional("width", 0, Value.FromInt(4));
        var prefix = width.IsString ? width.AsString : new string(' ', (int)width.AsInt);
        var first = arguments.Get("first", 1).IsTruthy();
        var blank = arguments.Get("blank", 2).IsTruthy();
        var lines = text.Split('\n');
        var builder = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('\n');
            }

            var indentThis = (i > 0 || first) && (blank || lines[i].Length > 0);
            builder.Append(indentThis ? prefix : string.Empty).Append(lines[i]);
        }

        return builder.ToString();
    }

    private static string Escape(string text) => text
        .Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal)
        .Replace("\"", "&#34;", StringComparison.Ordinal)
        .Replace("'", "&#39;", StringComparison.Ordinal);
}
