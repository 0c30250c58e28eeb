namespace Wafer.Models.ChatTemplates;

/// <summary>Jinja tests (<c>x is defined</c>, <c>x is string</c>, <c>x is divisibleby 3</c>, …).</summary>
internal static class TemplateTests
{
    public static bool Run(string name, Value value, Arguments arguments)
    {
        return name switch
        {
            "defined" => !value.IsUndefined,
            "undefined" => value.IsUndefined,
            "none" => value.IsNone,
            "string" => value.IsString,
            "number" => value.Kind is ValueKind.Int or ValueKind.Float,
            "integer" => value.Kind == ValueKind.Int,
            "float" => value.Kind == ValueKind.Float,
            "boolean" => value.Kind == ValueKind.Bool,
            "true" => value.Kind == ValueKind.Bool && value.AsBool,
            "false" => value.Kind == ValueKind.Bool && !value.AsBool,
            "mapping" => value.Kind == ValueKind.Dict,
            "iterable" => value.Kind is ValueKind.List or ValueKind.Dict or ValueKind.String,
            "sequence" => value.Kind is ValueKind.List or ValueKind.Dict or ValueKind.String,
            "callable" => value.Kind == ValueKind.Callable,
            "even" => Integer(value, name) % 2 == 0,
            "odd" => Integer(value, name) % 2 != 0,
            "divisibleby" => Integer(value, name) % Integer(arguments.Required(0, "num"), name) == 0,
            "lower" => value.IsString && value.AsString.ToLowerInvariant() == value.AsString,
            "upper" => value.IsString && value.AsString.ToUpperInvariant() == value.AsString,
            "in" => Operators.Contains(arguments.Required(0, "seq"), value),
            "equalto" or "eq" or "==" or "sameas" => ValueEqualityComparer.Instance.Equals(value, arguments.Required(0, "other")),
            "ne" or "!=" => !ValueEqualityComparer.Instance.Equals(value, arguments.Required(0, "other")),
            "gt" or "greaterthan" or ">" => Operators.Compare(value, arguments.Required(0, "other"), ">") > 0,
            "ge" or ">=" => Operators.Compare(value, arguments.Required(0, "other"), ">=") >= 0,
            "lt" or "lessthan" or "<" => Operators.Compare(value, arguments.Required(0, "other"), "<") < 0,
            "le" or "<=" => Operators.Compare(value, arguments.Required(0, "other"), "<=") <= 0,
            _ => throw new TemplateRuntimeException($"unknown test '{name}'"),
        };
    }

    private static long Integer(Value value, string test) =>
        value.Kind is ValueKind.Int or ValueKind.Bool
            ? value.AsInt
            : throw new TemplateRuntimeException($"test '{test}' expects an integer, got {value.TypeName}");
}
