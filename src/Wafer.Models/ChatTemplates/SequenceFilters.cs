namespace Wafer.Models.ChatTemplates;

/// <summary>Jinja filters over lists and dicts: join, map, select/reject(attr), sort, unique, dictsort, …</summary>
internal static class SequenceFilters
{
    private static readonly LiteralExpr NoPosition = new(Value.None, 0, 0);

    public static Value Apply(string name, Value input, Arguments arguments)
    {
        return name switch
        {
            "join" => Join(input, arguments),
            "list" => Value.FromList(Items(input)),
            "items" => input.Kind == ValueKind.Undefined ? Value.FromList([])
                : Value.FromList([.. input.AsDict.Select(e => Value.FromList([e.Key, e.Value]))]),
            "first" => Items(input) is { Count: > 0 } first ? first[0] : Value.MakeUndefined("first"),
            "last" => Items(input) is { Count: > 0 } last ? last[^1] : Value.MakeUndefined("last"),
            "reverse" => input.IsString
                ? Value.FromString(string.Concat(Items(input).Select(c => c.AsString).Reverse()))
                : Value.FromList([.. Items(input).AsEnumerable().Reverse()]),
            "sort" => Sort(input, arguments),
            "unique" => Unique(input, arguments),
            "selectattr" => Select(input, arguments, byAttribute: true, keep: true),
            "rejectattr" => Select(input, arguments, byAttribute: true, keep: false),
            "select" => Select(input, arguments, byAttribute: false, keep: true),
            "reject" => Select(input, arguments, byAttribute: false, keep: false),
            "map" => Map(input, arguments),
            "dictsort" => DictSort(input, arguments),
            "batch" => Batch(input, arguments),
            "min" => Extreme(input, arguments, sign: -1),
            "max" => Extreme(input, arguments, sign: 1),
            "sum" => Sum(input, arguments),
            _ => throw new TemplateRuntimeException($"unknown filter '{name}'"),
        };
    }

    // llama.cpp lets collection filters run on none as on an empty list (e.g. "tools | selectattr(...)" without tools).
    private static List<Value> Items(Value input) => input.IsNone ? [] : Interpreter.Iterate(input, NoPosition);

    /// <summary>Reads a possibly dotted attribute ("a.b") or integer index from an item, as Jinja's attribute arguments do.</summary>
    private static Value Attribute(Value item, Value attribute)
    {
        if (attribute.Kind == ValueKind.Int)
        {
            return Members.GetItem(item, attribute);
        }

        foreach (var part in attribute.AsString.Split('.'))
        {
            item = int.TryParse(part, out var position) ? Members.GetItem(item, Value.FromInt(position)) : Members.GetAttribute(item, part);
        }

        return item;
    }

    private static Value Join(Value input, Arguments arguments)
    {
        var separator = arguments.Optional("d", 0, Value.EmptyString).AsString;
        var attribute = arguments.Get("attribute", 1);
        var items = Items(input).Select(item => attribute.IsUndefined ? item : Attribute(item, attribute));
        return Value.FromString(string.Join(separator, items.Select(item => item.ToString())));
    }

    private static Value SortKey(Value item, Value attribute, bool caseSensitive)
    {
        var key = attribute.IsUndefined || attribute.IsNone ? item : Attribute(item, attribute);
        return !caseSensitive && key.IsString ? Value.FromString(key.AsString.ToLowerInvariant()) : key;
    }

    private static Value Sort(Value input, Arguments arguments)
    {
        var reverse = arguments.Get("reverse", 0).IsTruthy();
        var caseSensitive = arguments.Get("case_sensitive", 1).IsTruthy();
        var attribute = arguments.Get("attribute", 2);
        var items = Items(input);
        var sorted = items.OrderBy(item => SortKey(item, attribute, caseSensitive), Comparer<Value>.Create((a, b) => Operators.Compare(a, b))).ToList();
        if (reverse)
        {
            sorted.Reverse();
        }

        return Value.FromList(sorted);
    }

    private static Value Unique(Value input, Arguments arguments)
    {
        var caseSensitive = arguments.Get("case_sensitive", 0).IsTruthy();
        var attribute = arguments.Get("attribute", 1);
        var seen = new HashSet<Value>(ValueEqualityComparer.Instance);
        return Value.FromList([.. Items(input).Where(item => seen.Add(SortKey(item, attribute, caseSensitive)))]);
    }

    // select(test, args…) / selectattr(attribute, test, args…); without a test the value's truthiness decides.
    private static Value Select(Value input, Arguments arguments, bool byAttribute, bool keep)
    {
        var offset = byAttribute ? 1 : 0;
        var attribute = byAttribute ? arguments.Required(0, "attribute") : Value.Undefined;
        var testName = arguments.Count > offset ? arguments.Positional[offset].AsString : null;
        var testArguments = new Arguments([.. arguments.Positional.Skip(offset + 1)], arguments.Keywords, testName ?? "select");
        var result = new List<Value>();
        foreach (var item in Items(input))
        {
            var subject = byAttribute ? Attribute(item, attribute) : item;
            var passed = testName is null ? subject.IsTruthy() : TemplateTests.Run(testName, subject, testArguments);
            if (passed == keep)
            {
                result.Add(item);
            }
        }

        return Value.FromList(result);
    }

    // map(attribute='x', default=…) or map('filter', args…).
    private static Value Map(Value input, Arguments arguments)
    {
        var attribute = arguments.Get("attribute", int.MaxValue);
        if (!attribute.IsUndefined)
        {
            var fallback = arguments.Get("default", int.MaxValue);
            return Value.FromList([.. Items(input).Select(item =>
            {
                var value = Attribute(item, attribute);
                return value.IsUndefined && !fallback.IsUndefined ? fallback : value;
            })]);
        }

        var filter = arguments.RequiredString(0, "filter");
        var filterArguments = new Arguments([.. arguments.Positional.Skip(1)], arguments.Keywords, filter);
        return Value.FromList([.. Items(input).Select(item => Filters.Apply(filter, item, filterArguments))]);
    }

    private static Value DictSort(Value input, Arguments arguments)
    {
        var caseSensitive = arguments.Get("case_sensitive", 0).IsTruthy();
        var byValue = arguments.Optional("by", 1, Value.FromString("key")).AsString == "value";
        var reverse = arguments.Get("reverse", 2).IsTruthy();
        var pairs = input.AsDict.Select(e => Value.FromList([e.Key, e.Value])).ToList();
        var sorted = pairs.OrderBy(
            pair => SortKey(pair.AsList[byValue ? 1 : 0], Value.Undefined, caseSensitive),
            Comparer<Value>.Create((a, b) => Operators.Compare(a, b))).ToList();
        if (reverse)
        {
            sorted.Reverse();
        }

        return Value.FromList(sorted);
    }

    private static Value Batch(Value input, Arguments arguments)
    {
        var size = (int)arguments.Required(0, "linecount").AsInt;
        var fill = arguments.Get("fill_with", 1);
        var batches = Items(input).Chunk(size).Select(chunk =>
        {
            var batch = chunk.ToList();
            while (!fill.IsUndefined && batch.Count < size)
            {
                batch.Add(fill);
            }

            return Value.FromList(batch);
        });
        return Value.FromList([.. batches]);
    }

    private static Value Extreme(Value input, Arguments arguments, int sign)
    {
        var caseSensitive = arguments.Get("case_sensitive", 0).IsTruthy();
        var attribute = arguments.Get("attribute", 1);
        var items = Items(input);
        if (items.Count == 0)
        {
            return Value.MakeUndefined(sign < 0 ? "min" : "max");
        }

        var best = items[0];
        foreach (var item in items.Skip(1))
        {
            if (sign * Operators.Compare(SortKey(item, attribute, caseSensitive), SortKey(best, attribute, caseSensitive)) > 0)
            {
                best = item;
            }
        }

        return best;
    }

    private static Value Sum(Value input, Arguments arguments)
    {
        var attribute = arguments.Get("attribute", 0);
        var total = arguments.Optional("start", 1, Value.FromInt(0));
        foreach (var item in Items(input))
        {
            total = Operators.Binary("+", total, attribute.IsUndefined ? item : Attribute(item, attribute));
        }

        return total;
    }
}
