namespace Wafer.Models.ChatTemplates;

/// <summary>Python <c>==</c> semantics for template values: numbers compare across int/float/bool, containers deeply.</summary>
internal sealed class ValueEqualityComparer : IEqualityComparer<Value>
{
    public static readonly ValueEqualityComparer Instance = new();

    public bool Equals(Value? x, Value? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null)
        {
            return false;
        }

        if (IsNumeric(x) && IsNumeric(y))
        {
            return x.Kind == ValueKind.Float || y.Kind == ValueKind.Float ? x.AsDouble == y.AsDouble : x.AsInt == y.AsInt;
        }

        if (x.Kind != y.Kind)
        {
            return false;
        }

        return x.Kind switch
        {
            ValueKind.Undefined or ValueKind.None => true,
            ValueKind.String => string.Equals(x.AsString, y.AsString, StringComparison.Ordinal),
            ValueKind.List => x.AsList.SequenceEqual(y.AsList, this),
            ValueKind.Dict => DictsEqual(x.AsDict, y.AsDict),
            _ => ReferenceEquals(x.AsCallable, y.AsCallable),
        };
    }

    public int GetHashCode(Value obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj.Kind switch
        {
            ValueKind.String => StringComparer.Ordinal.GetHashCode(obj.AsString),
            ValueKind.Bool or ValueKind.Int => obj.AsInt.GetHashCode(),
            ValueKind.Float => obj.AsDouble == Math.Floor(obj.AsDouble) ? ((long)obj.AsDouble).GetHashCode() : obj.AsDouble.GetHashCode(),
            ValueKind.List => obj.AsList.Count,
            ValueKind.Dict => obj.AsDict.Count,
            _ => (int)obj.Kind,
        };
    }

    private static bool IsNumeric(Value value) => value.Kind is ValueKind.Int or ValueKind.Float or ValueKind.Bool;

    private bool DictsEqual(OrderedDictionary<Value, Value> x, OrderedDictionary<Value, Value> y)
    {
        if (x.Count != y.Count)
        {
            return false;
        }

        foreach (var (key, value) in x)
        {
            if (!y.TryGetValue(key, out var other) || !Equals(value, other))
            {
                return false;
            }
        }

        return true;
    }
}
