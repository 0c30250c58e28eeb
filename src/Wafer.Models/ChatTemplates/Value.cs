using System.Globalization;

namespace Wafer.Models.ChatTemplates;

/// <summary>The kinds of value a template can hold, mirroring the Python types Jinja exposes.</summary>
internal enum ValueKind
{
    Undefined,
    None,
    Bool,
    Int,
    Float,
    String,
    List,
    Dict,
    Callable,
}

/// <summary>Signature of a built-in or user-defined (macro) function callable from a template.</summary>
internal delegate Value TemplateFunction(Arguments arguments);

/// <summary>An immutable-kind, dynamically typed template value (lists and dicts are mutable containers).</summary>
internal sealed class Value
{
    public static readonly Value None = new(ValueKind.None, null);
    public static readonly Value True = new(ValueKind.Bool, true);
    public static readonly Value False = new(ValueKind.Bool, false);
    public static readonly Value EmptyString = new(ValueKind.String, string.Empty);
    public static readonly Value Undefined = new(ValueKind.Undefined, null);

    private readonly object? payload;

    private Value(ValueKind kind, object? payload)
    {
        Kind = kind;
        this.payload = payload;
    }

    public ValueKind Kind { get; }

    /// <summary>For undefined values: the name or expression that was missing, used in error messages.</summary>
    public string? UndefinedName { get; private init; }

    public bool IsUndefined => Kind == ValueKind.Undefined;

    public bool IsNone => Kind == ValueKind.None;

    public bool IsString => Kind == ValueKind.String;

    public bool IsNumber => Kind is ValueKind.Int or ValueKind.Float;

    // The accessors check the kind: a template that uses a value as what it is not (a string's items, a list as a number)
    // fails with a template error naming both types, never an InvalidCastException.
    public bool AsBool => payload is bool b ? b : throw WrongKind("bool");

    public long AsInt => Kind == ValueKind.Bool ? (AsBool ? 1 : 0) : payload is long l ? l : throw WrongKind("int");

    public double AsDouble => Kind switch
    {
        ValueKind.Float => (double)payload!,
        ValueKind.Int => (long)payload!,
        ValueKind.Bool => AsBool ? 1 : 0,
        _ => throw new TemplateRuntimeException($"a {TypeName} is not a number"),
    };

    public string AsString => payload as string ?? throw WrongKind("str");

    public List<Value> AsList => payload as List<Value> ?? throw WrongKind("list");

    public OrderedDictionary<Value, Value> AsDict => payload as OrderedDictionary<Value, Value> ?? throw WrongKind("dict");

    public TemplateFunction AsCallable => payload as TemplateFunction ?? throw WrongKind("function");

    private TemplateRuntimeException WrongKind(string expected) => new($"expected a {expected}, got a {TypeName}");

    /// <summary>Python-style type name for error messages.</summary>
    public string TypeName => Kind switch
    {
        ValueKind.Undefined => "undefined",
        ValueKind.None => "NoneType",
        ValueKind.Bool => "bool",
        ValueKind.Int => "int",
        ValueKind.Float => "float",
        ValueKind.String => "str",
        ValueKind.List => "list",
        ValueKind.Dict => "dict",
        _ => "function",
    };

    public static Value FromBool(bool value) => value ? True : False;

    public static Value FromInt(long value) => new(ValueKind.Int, value);

    public static Value FromDouble(double value) => new(ValueKind.Float, value);

    public static Value FromString(string value) => value.Length == 0 ? EmptyString : new(ValueKind.String, value);

    public static Value FromList(List<Value> items) => new(ValueKind.List, items);

    public static Value NewDict() => new(ValueKind.Dict, new OrderedDictionary<Value, Value>(ValueEqualityComparer.Instance));

    public static Value FromFunction(TemplateFunction function) => new(ValueKind.Callable, function);

    public static Value MakeUndefined(string name) => new(ValueKind.Undefined, null) { UndefinedName = name };

    /// <summary>Python truthiness: empty strings, lists, dicts, zero, none and undefined are false.</summary>
    public bool IsTruthy() => Kind switch
    {
        ValueKind.Undefined or ValueKind.None => false,
        ValueKind.Bool => AsBool,
        ValueKind.Int => AsInt != 0,
        ValueKind.Float => AsDouble != 0,
        ValueKind.String => AsString.Length != 0,
        ValueKind.List => AsList.Count != 0,
        ValueKind.Dict => AsDict.Count != 0,
        _ => true,
    };

    /// <summary>Looks a string key up in a dict value; undefined when absent or not a dict.</summary>
    public Value GetKey(string key)
    {
        if (Kind == ValueKind.Dict && AsDict.TryGetValue(FromString(key), out var found))
        {
            return found;
        }

        return MakeUndefined(key);
    }

    /// <summary>Renders the value as Jinja's <c>{{ }}</c> (Python <c>str()</c>) would.</summary>
    public override string ToString() => ValueFormatter.ToDisplayString(this);

    public override bool Equals(object? obj) => obj is Value other && ValueEqualityComparer.Instance.Equals(this, other);

    public override int GetHashCode() => ValueEqualityComparer.Instance.GetHashCode(this);

    internal static string FormatDouble(double value)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        // Python repr: shortest round-trip digits, always showing a decimal point or exponent.
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        if (text.Contains('E', StringComparison.Ordinal))
        {
            var mantissaExponent = text.Split('E');
            var exponent = int.Parse(mantissaExponent[1], CultureInfo.InvariantCulture);
            if (exponent is >= -5 and < 16)
            {
                text = value.ToString("0.0###################", CultureInfo.InvariantCulture);
            }
            else
            {
                text = mantissaExponent[0] + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
            }
        }

        return text.Contains('.', StringComparison.Ordinal) || text.Contains('e', StringComparison.Ordinal) ? text : text + ".0";
    }
}
