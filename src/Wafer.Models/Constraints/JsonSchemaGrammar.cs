using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Wafer.Models.Constraints;

/// <summary>Turns a JSON Schema into GBNF whose sentences are exactly the JSON texts (compact, with short optional
/// whitespace) that the schema accepts, for the keywords it supports; any other keyword that would constrain the value is
/// refused with a <see cref="GrammarException"/> naming it, never ignored.</summary>
/// <remarks>
/// Supported: <c>type</c> (one or a list), <c>properties</c> in declaration order with <c>required</c> ones mandatory and
/// the others optional, <c>additionalProperties</c> (false, true or a schema; absent counts as false when <c>properties</c>
/// is given, as OpenAI's strict mode requires), <c>enum</c>, <c>const</c>, <c>items</c> with <c>minItems</c>/<c>maxItems</c>,
/// <c>minLength</c>/<c>maxLength</c>, <c>anyOf</c>/<c>oneOf</c> (as alternatives), <c>$ref</c> to <c>#/$defs/…</c> or
/// <c>#/definitions/…</c>, and string formats <c>date</c>, <c>time</c>, <c>date-time</c>, <c>uuid</c> (llama.cpp's set).
/// Annotations (title, description, default, examples, $schema, $id, $comment…) are ignored, as validators do.
/// </remarks>
public sealed class JsonSchemaGrammar
{
    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly",
        "$defs", "definitions", "strict", "name",
    };

    private const string Primitives = """
        space ::= | " " | "\n" [ \t]{0,20}
        boolean ::= ("true" | "false") space
        null ::= "null" space
        integer ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) space
        number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9]+)? space
        char ::= [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})
        string ::= "\"" char* "\"" space
        value ::= object | array | string | number | boolean | null
        object ::= "{" space ( string ":" space value ("," space string ":" space value)* )? "}" space
        array ::= "[" space ( value ("," space value)* )? "]" space
        date ::= [0-9]{4} "-" ( "0" [1-9] | "1" [0-2] ) "-" ( "0" [1-9] | [1-2] [0-9] | "3" [0-1] )
        time ::= ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{3} )? ( "Z" | ( "+" | "-" ) ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] )
        hex ::= [0-9a-fA-F]
        uuid ::= hex{8} "-" hex{4} "-" hex{4} "-" hex{4} "-" hex{12}

        """;

    private readonly JsonElement _root;
    private readonly StringBuilder _rules = new();
    private readonly Dictionary<string, string> _refs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal)
    {
        "root", "space", "boolean", "null", "integer", "number", "char", "string", "value", "object", "array", "date", "time", "hex", "uuid",
    };

    private JsonSchemaGrammar(JsonElement root) => _root = root;

    /// <summary>GBNF for <paramref name="schema"/> (start rule <c>root</c>).</summary>
    /// <exception cref="GrammarException">The schema uses a keyword this converter does not support, or is malformed.</exception>
    public static string ToGbnf(JsonElement schema)
    {
        var converter = new JsonSchemaGrammar(schema);
        string root;
        try
        {
            root = converter.Visit(schema, "root-value", "");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // A keyword of the wrong JSON type ("type": 5, "required": "x", "maxLength": 1.5): JsonElement's own message says which.
            throw new GrammarException($"the JSON schema is malformed: {e.Message}");
        }
        converter._rules.Insert(0, $"root ::= {root}\n");
        return converter._rules + Primitives;
    }

    /// <summary>The compiled grammar of <paramref name="schema"/>.</summary>
    public static Grammar Compile(JsonElement schema) => Grammar.Parse(ToGbnf(schema));

    private string Rule(string hint, string body)
    {
        string name = Sanitize(hint);
        for (int i = 2; !_names.Add(name); i++) name = $"{Sanitize(hint)}-{i}";
        _rules.Append(name).Append(" ::= ").Append(body).Append('\n');
        return name;
    }

    private static string Sanitize(string hint)
    {
        var sb = new StringBuilder();
        foreach (char c in hint) sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        string s = sb.ToString().Trim('-');
        return s.Length == 0 ? "r" : s;
    }

    private static GrammarException Unsupported(string path, string keyword) =>
        new($"the JSON schema keyword '{keyword}' at '{(path.Length == 0 ? "/" : path)}' is not supported by constrained decoding yet");

    private string Visit(JsonElement schema, string hint, string path)
    {
        if (schema.ValueKind == JsonValueKind.True) return "value";
        if (schema.ValueKind == JsonValueKind.False) throw new GrammarException($"the schema at '{(path.Length == 0 ? "/" : path)}' is false: no value matches it");
        if (schema.ValueKind != JsonValueKind.Object) throw new GrammarException($"the schema at '{(path.Length == 0 ? "/" : path)}' must be an object or a boolean");

        if (schema.TryGetProperty("$ref", out var reference)) return Ref(reference, path);
        foreach (string key in (string[])["anyOf", "oneOf"])
            if (schema.TryGetProperty(key, out var options))
            {
                if (options.ValueKind != JsonValueKind.Array || options.GetArrayLength() == 0) throw new GrammarException($"'{key}' at '{path}/' must be a non-empty array");
                var names = options.EnumerateArray().Select((o, i) => Visit(o, $"{hint}-{i}", $"{path}/{key}/{i}")).ToList();
                return Rule(hint, string.Join(" | ", names));
            }
        if (schema.TryGetProperty("const", out var constant)) return Rule(hint, Literal(constant) + " space");
        if (schema.TryGetProperty("enum", out var values))
        {
            if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0) throw new GrammarException($"'enum' at '{path}/' must be a non-empty array");
            return Rule(hint, "(" + string.Join(" | ", values.EnumerateArray().Select(Literal)) + ") space");
        }

        foreach (var property in schema.EnumerateObject())
            if (!Annotations.Contains(property.Name) && property.Name is not ("type" or "properties" or "required" or "additionalProperties"
                    or "items" or "minItems" or "maxItems" or "minLength" or "maxLength" or "format"))
                throw Unsupported(path, property.Name);

        if (!schema.TryGetProperty("type", out var type))
            return schema.TryGetProperty("properties", out _) ? Object(schema, hint, path) : schema.TryGetProperty("items", out _) ? Array(schema, hint, path) : "value";
        if (type.ValueKind == JsonValueKind.Array)
        {
            var names = type.EnumerateArray().Select(t => Typed(schema, t.GetString() ?? "", hint, path)).ToList();
            return names.Count == 1 ? names[0] : Rule(hint, string.Join(" | ", names));
        }
        return Typed(schema, type.GetString() ?? "", hint, path);
    }

    private string Typed(JsonElement schema, string type, string hint, string path) => type switch
    {
        "object" => Object(schema, hint, path),
        "array" => Array(schema, hint, path),
        "string" => String(schema, hint, path),
        "integer" => "integer",
        "number" => "number",
        "boolean" => "boolean",
        "null" => "null",
        _ => throw new GrammarException($"unknown JSON schema type '{type}' at '{(path.Length == 0 ? "/" : path)}'"),
    };

    private string Ref(JsonElement reference, string path)
    {
        string target = reference.GetString() ?? "";
        if (_refs.TryGetValue(target, out var known)) return known;
        string[] prefixes = ["#/$defs/", "#/definitions/"];
        var prefix = prefixes.FirstOrDefault(p => target.StartsWith(p, StringComparison.Ordinal))
            ?? throw new GrammarException($"'$ref': '{target}' at '{path}' is not supported (only local references to #/$defs/… or #/definitions/…)");
        string name = target[prefix.Length..];
        if (!_root.TryGetProperty(prefix[2..^1], out var defs) || !defs.TryGetProperty(name, out var definition))
            throw new GrammarException($"'$ref': '{target}' at '{path}' points at no definition");
        // Name the rule before visiting, so recursive schemas refer to it.
        string rule = Sanitize("def-" + name);
        for (int i = 2; _names.Contains(rule); i++) rule = Sanitize($"def-{name}-{i}");
        _names.Add(rule);
        _refs[target] = rule;
        string body = Visit(definition, rule + "-value", target[1..]);
        _rules.Append(rule).Append(" ::= ").Append(body).Append('\n');
        return rule;
    }

    private string Object(JsonElement schema, string hint, string path)
    {
        if (!schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            if (schema.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.False)
                return Rule(hint, "\"{\" space \"}\" space");
            if (schema.TryGetProperty("additionalProperties", out extra) && extra.ValueKind == JsonValueKind.Object)
            {
                string v = Visit(extra, hint + "-additional", path + "/additionalProperties");
                return Rule(hint, $"\"{{\" space ( string \":\" space {v} (\",\" space string \":\" space {v})* )? \"}}\" space");
            }
            return "object";
        }
        var required = new HashSet<string>(StringComparer.Ordinal);
        if (schema.TryGetProperty("required", out var list))
            foreach (var r in list.EnumerateArray()) required.Add(r.GetString() ?? "");
        var members = new List<(string Rule, bool Required)>();
        foreach (var property in properties.EnumerateObject())
        {
            string value = Visit(property.Value, $"{hint}-{property.Name}", $"{path}/properties/{property.Name}");
            string kv = Rule($"{hint}-{property.Name}-kv", $"{Literal(property.Name)} space \":\" space {value}");
            members.Add((kv, required.Contains(property.Name)));
        }
        foreach (string name in required)
            if (!properties.TryGetProperty(name, out _)) throw new GrammarException($"'required' at '{path}/' names '{name}', which is not in 'properties'");
        string? additional = null;
        if (schema.TryGetProperty("additionalProperties", out var extraSchema) && extraSchema.ValueKind != JsonValueKind.False)
        {
            string v = extraSchema.ValueKind == JsonValueKind.True ? "value" : Visit(extraSchema, hint + "-additional", path + "/additionalProperties");
            additional = Rule(hint + "-additional-kv", $"string \":\" space {v}");
        }
        // Required members first (declaration order), then the optional ones, each of which may be left out.
        var ordered = members.Where(m => m.Required).Concat(members.Where(m => !m.Required)).ToList();
        if (additional != null) ordered.Add((additional + "-many", false));
        string Tail(int from)
        {
            var sb = new StringBuilder();
            for (int i = from; i < ordered.Count; i++)
            {
                var (rule, req) = ordered[i];
                if (rule.EndsWith("-many", StringComparison.Ordinal)) sb.Append($" (\",\" space {additional})*");
                else sb.Append(req ? $" \",\" space {rule}" : $" (\",\" space {rule})?");
            }
            return sb.ToString();
        }
        string body;
        int requiredCount = ordered.Count(m => m.Required);
        if (requiredCount > 0)
        {
            body = $"\"{{\" space {ordered[0].Rule}{Tail(1)} \"}}\" space";
        }
        else
        {
            // All optional: the first member present has no comma before it.
            var starts = new List<string>();
            for (int i = 0; i < ordered.Count; i++)
            {
                string first = ordered[i].Rule.EndsWith("-many", StringComparison.Ordinal) ? $"{additional} (\",\" space {additional})*" : ordered[i].Rule;
                starts.Add(first + Tail(i + 1));
            }
            body = starts.Count == 0 ? "\"{\" space \"}\" space" : $"\"{{\" space ( {string.Join(" | ", starts.Select(s => "( " + s + " )"))} )? \"}}\" space";
        }
        return Rule(hint, body);
    }

    private string Array(JsonElement schema, string hint, string path)
    {
        string item = schema.TryGetProperty("items", out var items) ? Visit(items, hint + "-item", path + "/items") : "value";
        int min = Count(schema, "minItems", path) ?? 0;
        int? max = Count(schema, "maxItems", path);
        if (max < min) throw new GrammarException($"'maxItems' at '{path}/' is below 'minItems'");
        if (max == 0) return Rule(hint, "\"[\" space \"]\" space");
        string rest = max is int m ? $"(\",\" space {item}){{{Math.Max(min - 1, 0)},{m - 1}}}" : $"(\",\" space {item}){{{Math.Max(min - 1, 0)},}}";
        string inner = $"{item} {rest}";
        return Rule(hint, min > 0 ? $"\"[\" space {inner} \"]\" space" : $"\"[\" space ( {inner} )? \"]\" space");
    }

    private string String(JsonElement schema, string hint, string path)
    {
        if (schema.TryGetProperty("format", out var format))
        {
            string f = format.GetString() ?? "";
            string rule = f switch
            {
                "date" => "date",
                "time" => "time",
                "date-time" => "date \"T\" time",
                "uuid" => "uuid",
                _ => throw new GrammarException($"the string format '{f}' at '{(path.Length == 0 ? "/" : path)}' is not supported by constrained decoding (supported: date, time, date-time, uuid)"),
            };
            return Rule(hint, $"\"\\\"\" {rule} \"\\\"\" space");
        }
        int? minLength = Count(schema, "minLength", path), maxLength = Count(schema, "maxLength", path);
        if (minLength == null && maxLength == null) return "string";
        if (maxLength < (minLength ?? 0)) throw new GrammarException($"'maxLength' at '{path}/' is below 'minLength'");
        return Rule(hint, $"\"\\\"\" char{{{minLength ?? 0},{maxLength?.ToString(CultureInfo.InvariantCulture) ?? ""}}} \"\\\"\" space");
    }

    private static int? Count(JsonElement schema, string keyword, string path)
    {
        if (!schema.TryGetProperty(keyword, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n < 0 || n > 10_000)
            throw new GrammarException($"'{keyword}' at '{(path.Length == 0 ? "/" : path)}' must be an integer from 0 to 10000");
        return n;
    }

    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // A JSON value (or a property name, as a JSON string) as a GBNF literal of its compact text.
    private static string Literal(JsonElement value) => Quote(JsonSerializer.Serialize(value, Compact));

    private static string Literal(string name) => Quote(JsonSerializer.Serialize(name, Compact));

    private static string Quote(string text)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in text)
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => c.ToString(),
            });
        return sb.Append('"').ToString();
    }
}
