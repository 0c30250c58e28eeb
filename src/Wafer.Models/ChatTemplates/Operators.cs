namespace Wafer.Models.ChatTemplates;

/// <summary>Python semantics of Jinja's unary and binary operators.</summary>
internal static class Operators
{
    public static Value Unary(string op, Value operand)
    {
        return (op, operand.Kind) switch
        {
            ("-", ValueKind.Int or ValueKind.Bool) => Value.FromInt(-operand.AsInt),
            ("-", ValueKind.Float) => Value.FromDouble(-operand.AsDouble),
            ("+", ValueKind.Int or ValueKind.Bool or ValueKind.Float) => operand,
            _ => throw new TemplateRuntimeException($"bad operand type for unary {op}: '{operand.TypeName}'"),
        };
    }

    public static Value Binary(string op, Value left, Value right)
    {
        return op switch
        {
            "~" => Value.FromString(left.ToString() + right.ToString()),
            "==" => Value.FromBool(ValueEqualityComparer.Instance.Equals(left, right)),
            "!=" => Value.FromBool(!ValueEqualityComparer.Instance.Equals(left, right)),
            "<" => Value.FromBool(Compare(left, right, op) < 0),
            ">" => Value.FromBool(Compare(left, right, op) > 0),
            "<=" => Value.FromBool(Compare(left, right, op) <= 0),
            ">=" => Value.FromBool(Compare(left, right, op) >= 0),
            "in" => Value.FromBool(Contains(right, left)),
            "not in" => Value.FromBool(!Contains(right, left)),
            "+" => Add(left, right),
            _ => Arithmetic(op, left, right),
        };
    }

    /// <summary>Python ordering: numbers with numbers, strings by code point, lists element-wise.</summary>
    public static int Compare(Value left, Value right, string op = "<")
    {
        if (IsNumeric(left) && IsNumeric(right))
        {
            return left.Kind == ValueKind.Float || right.Kind == ValueKind.Float
                ? left.AsDouble.CompareTo(right.AsDouble)
                : left.AsInt.CompareTo(right.AsInt);
        }

        if (left.IsString && right.IsString)
        {
            return string.CompareOrdinal(left.AsString, right.AsString);
        }

        if (left.Kind == ValueKind.List && right.Kind == ValueKind.List)
        {
            for (var i = 0; i < Math.Min(left.AsList.Count, right.AsList.Count); i++)
            {
                var order = Compare(left.AsList[i], right.AsList[i], op);
                if (order != 0)
                {
                    return order;
                }
            }

            return left.AsList.Count.CompareTo(right.AsList.Count);
        }

        throw new TemplateRuntimeException($"'{op}' is not supported between {left.TypeName} and {right.TypeName}");
    }

    /// <summary>Python <c>needle in haystack</c>; an undefined or none haystack contains nothing.</summary>
    public static bool Contains(Value haystack, Value needle)
    {
        switch (haystack.Kind)
        {
            case ValueKind.String:
                if (!needle.IsString)
                {
                    throw new TemplateRuntimeException($"'in <string>' requires a string as left operand, not {needle.TypeName}");
                }

                return haystack.AsString.Contains(needle.AsString, StringComparison.Ordinal);
            case ValueKind.List:
                return haystack.AsList.Contains(needle, ValueEqualityComparer.Instance);
            case ValueKind.Dict:
                return haystack.AsDict.ContainsKey(needle);
            case ValueKind.Undefined or ValueKind.None:
                return false;
            default:
                throw new TemplateRuntimeException($"argument of type '{haystack.TypeName}' is not iterable");
        }
    }

    private static bool IsNumeric(Value value) => value.Kind is ValueKind.Int or ValueKind.Float or ValueKind.Bool;

    private static Value Add(Value left, Value right)
    {
        // llama.cpp concatenates a string with an undefined value as if it were empty (Python Jinja would raise).
        if ((left.IsString || left.IsUndefined) && (right.IsString || right.IsUndefined) && (left.IsString || right.IsString))
        {
            return Value.FromString(left.ToString() + right.ToString());
        }

        if (left.Kind == ValueKind.List && right.Kind == ValueKind.List)
        {
            return Value.FromList([.. left.AsList, .. right.AsList]);
        }

        return Arithmetic("+", left, right);
    }

    private static Value Arithmetic(string op, Value left, Value right)
    {
        if (op == "*" && (left.IsString || left.Kind == ValueKind.List) && right.Kind is ValueKind.Int)
        {
            return Repeat(left, right.AsInt);
        }

        if (!IsNumeric(left) || !IsNumeric(right))
        {
            throw new TemplateRuntimeException($"unsupported operand types for {op}: '{Describe(left)}' and '{Describe(right)}'");
        }

        if (op == "/")
        {
            return Value.FromDouble(left.AsDouble / NonZero(right.AsDouble));
        }

        if (left.Kind == ValueKind.Float || right.Kind == ValueKind.Float)
        {
            double a = left.AsDouble, b = right.AsDouble;
            return Value.FromDouble(op switch
            {
                "+" => a + b,
                "-" => a - b,
                "*" => a * b,
                "//" => Math.Floor(a / NonZero(b)),
                "%" => a - (b * Math.Floor(a / NonZero(b))),
                _ => Math.Pow(a, b),
            });
        }

        long x = left.AsInt, y = right.AsInt;
        return op switch
        {
            "+" => Value.FromInt(x + y),
            "-" => Value.FromInt(x - y),
            "*" => Value.FromInt(x * y),
            "//" => Value.FromInt(FloorDivide(x, y)),
            "%" => Value.FromInt(x - (y * FloorDivide(x, y))),
            _ => y >= 0 ? Value.FromInt((long)Math.Pow(x, y)) : Value.FromDouble(Math.Pow(x, y)),
        };
    }

    private static string Describe(Value value) => value.IsUndefined ? $"undefined ({value.UndefinedName})" : value.TypeName;

    private static long FloorDivide(long x, long y)
    {
        if (y == 0)
        {
            throw new TemplateRuntimeException("integer division or modulo by zero");
        }

        var quotient = x / y;
        return (x % y != 0) && ((x < 0) != (y < 0)) ? quotient - 1 : quotient;
    }

    private static double NonZero(double divisor) =>
        divisor == 0 ? throw new TemplateRuntimeException("division by zero") : divisor;

    /// <summary>The most characters (or items) <c>*</c> repetition may build: a prompt is far smaller, and a template that
    /// multiplies by a huge number fails with a message instead of exhausting memory.</summary>
    internal const long MaxRepeatLength = 1 << 24;

    private static Value Repeat(Value sequence, long count)
    {
        count = Math.Max(0, count);
        long unit = sequence.IsString ? sequence.AsString.Length : sequence.AsList.Count;
        if (unit > 0 && count > MaxRepeatLength / unit)
        {
            throw new TemplateRuntimeException($"repeating a {sequence.TypeName} of length {unit} {count} times would exceed {MaxRepeatLength} elements");
        }

        if (sequence.IsString)
        {
            return Value.FromString(string.Concat(Enumerable.Repeat(sequence.AsString, (int)count)));
        }

        var items = new List<Value>();
        for (var i = 0; i < count; i++)
        {
            items.AddRange(sequence.AsList);
        }

        return Value.FromList(items);
    }
}
