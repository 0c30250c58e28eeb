using System.Globalization;
using System.Text;

namespace Wafer.Models.ChatTemplates;

/// <summary>Turns values into text: Python <c>str()</c>/<c>repr()</c> for output, and JSON for <c>tojson</c>.</summary>
internal static class ValueFormatter
{
    /// <summary>What <c>{{ value }}</c> prints: strings raw, undefined empty, containers as Python repr.</summary>
    public static string ToDisplayString(Value value) => value.Kind switch
    {
        ValueKind.Undefined => string.Empty,
        ValueKind.String => value.AsString,
        _ => ToRepr(value),
    };

    /// <summary>Python <c>repr()</c>, used for containers and their elements.</summary>
    public static string ToRepr(Value value)
    {
        var builder = new StringBuilder();
        AppendRepr(builder, value);
        return builder.ToString();
    }

    /// <summary>JSON as Python's <c>json.dumps(ensure_ascii=False)</c> writes it with the given separators.</summary>
    public static string ToJson(Value value, int? indent, string itemSeparator, string keySeparator, bool sortKeys)
    {
        var builder = new StringBuilder();
        new JsonStyle(indent, itemSeparator, keySeparator, sortKeys).Append(builder, value, 0);
        return builder.ToString();
    }

    /// <summary>Writes a JSON string literal, escaping only what Python's json module escapes without ensure_ascii.</summary>
    public static void AppendJsonString(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                default:
                    if (c < 0x20)
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
    }

    private static void AppendRepr(StringBuilder builder, Value value)
    {
        switch (value.Kind)
        {
            case ValueKind.Undefined: break;
            case ValueKind.None: builder.Append("None"); break;
            case ValueKind.Bool: builder.Append(value.AsBool ? "True" : "False"); break;
            case ValueKind.Int: builder.Append(value.AsInt.ToString(CultureInfo.InvariantCulture)); break;
            case ValueKind.Float: builder.Append(Value.FormatDouble(value.AsDouble)); break;
            case ValueKind.String: AppendStringRepr(builder, value.AsString); break;
            case ValueKind.List:
                builder.Append('[');
                for (var i = 0; i < value.AsList.Count; i++)
                {
                    builder.Append(i == 0 ? string.Empty : ", ");
                    AppendRepr(builder, value.AsList[i]);
                }

                builder.Append(']');
                break;
            case ValueKind.Dict:
                builder.Append('{');
                var first = true;
                foreach (var (key, item) in value.AsDict)
                {
                    builder.Append(first ? string.Empty : ", ");
                    first = false;
                    AppendRepr(builder, key);
                    builder.Append(": ");
                    AppendRepr(builder, item);
                }

                builder.Append('}');
                break;
            default: builder.Append("<function>"); break;
        }
    }

    private static void AppendStringRepr(StringBuilder builder, string text)
    {
        // Python prefers single quotes and switches to double quotes only to avoid escaping a single quote.
        var quote = text.Contains('\'', StringComparison.Ordinal) && !text.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        builder.Append(quote);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c == quote)
                    {
                        builder.Append('\\');
                    }

                    builder.Append(c);
                    break;
            }
        }

        builder.Append(quote);
    }

    /// <summary>Separator and indentation choices of one <c>tojson</c> call.</summary>
    private sealed record JsonStyle(int? Indent, string ItemSeparator, string KeySeparator, bool SortKeys)
    {
        public void Append(StringBuilder builder, Value value, int depth)
        {
            switch (value.Kind)
            {
                case ValueKind.Undefined:
                case ValueKind.None: builder.Append("null"); break;
                case ValueKind.Bool: builder.Append(value.AsBool ? "true" : "false"); break;
                case ValueKind.Int: builder.Append(value.AsInt.ToString(CultureInfo.InvariantCulture)); break;
                case ValueKind.Float: builder.Append(Value.FormatDouble(value.AsDouble)); break;
                case ValueKind.String: AppendJsonString(builder, value.AsString); break;
                case ValueKind.List: AppendList(builder, value.AsList, depth); break;
                case ValueKind.Dict: AppendDict(builder, value.AsDict, depth); break;
                default: throw new TemplateRuntimeException("tojson cannot serialize a function");
            }
        }

        private void AppendList(StringBuilder builder, List<Value> items, int depth)
        {
            if (items.Count == 0)
            {
                builder.Append("[]");
                return;
            }

            builder.Append('[');
            for (var i = 0; i < items.Count; i++)
            {
                builder.Append(i == 0 ? string.Empty : ItemSeparator);
                NewLine(builder, depth + 1);
                Append(builder, items[i], depth + 1);
            }

            NewLine(builder, depth);
            builder.Append(']');
        }

        private void AppendDict(StringBuilder builder, OrderedDictionary<Value, Value> dict, int depth)
        {
            if (dict.Count == 0)
            {
                builder.Append("{}");
                return;
            }

            IEnumerable<KeyValuePair<Value, Value>> entries = SortKeys
                ? dict.OrderBy(e => e.Key.ToString(), StringComparer.Ordinal)
                : dict;
            builder.Append('{');
            var first = true;
            foreach (var (key, item) in entries)
            {
                builder.Append(first ? string.Empty : ItemSeparator);
                first = false;
                NewLine(builder, depth + 1);
                AppendJsonString(builder, key.IsString ? key.AsString : ToJson(key, null, ItemSeparator, KeySeparator, false));
                builder.Append(KeySeparator);
                Append(builder, item, depth + 1);
            }

            NewLine(builder, depth);
            builder.Append('}');
        }

        private void NewLine(StringBuilder builder, int depth)
        {
            if (Indent is { } indent)
            {
                builder.Append('\n').Append(' ', indent * depth);
            }
        }
    }
}
