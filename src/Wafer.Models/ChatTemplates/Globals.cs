namespace Wafer.Models.ChatTemplates;

/// <summary>Global functions every template sees: range, namespace, dict, raise_exception, strftime_now.</summary>
internal static class Globals
{
    public static void AddTo(Scope scope, DateTimeOffset now)
    {
        scope.Set("range", Value.FromFunction(Range));
        scope.Set("namespace", Value.FromFunction(Namespace));
        scope.Set("dict", Value.FromFunction(Namespace));
        scope.Set("raise_exception", Value.FromFunction(arguments =>
            throw new TemplateRuntimeException(arguments.Count > 0 ? arguments.Positional[0].ToString() : "raise_exception called") { RaisedByTemplate = true }));
        scope.Set("strftime_now", Value.FromFunction(arguments => Value.FromString(Strftime.Format(now, arguments.RequiredString(0, "format")))));
    }

    private static Value Range(Arguments arguments)
    {
        long start = 0, step = 1, stop;
        switch (arguments.Count)
        {
            case 1:
                stop = arguments.Positional[0].AsInt;
                break;
            case 2 or 3:
                start = arguments.Positional[0].AsInt;
                stop = arguments.Positional[1].AsInt;
                step = arguments.Count == 3 ? arguments.Positional[2].AsInt : 1;
                break;
            default:
                throw new TemplateRuntimeException($"range() expects 1 to 3 arguments, got {arguments.Count}");
        }

        if (step == 0)
        {
            throw new TemplateRuntimeException("range() step must not be zero");
        }

        var items = new List<Value>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            if (items.Count == MaxRangeLength)
            {
                throw new TemplateRuntimeException($"range({start}, {stop}, {step}) has more than {MaxRangeLength} items");
            }

            items.Add(Value.FromInt(i));
            if (step > 0 ? i > long.MaxValue - step : i < long.MinValue - step)
            {
                break; // the next value would overflow, so it is past stop
            }
        }

        return Value.FromList(items);
    }

    /// <summary>The most items <c>range()</c> builds; a loop over more is a broken template, not a prompt.</summary>
    internal const int MaxRangeLength = 1 << 20;

    // namespace(a=1) and dict(a=1): a mutable mapping built from keyword arguments (and an optional dict to copy).
    private static Value Namespace(Arguments arguments)
    {
        var result = Value.NewDict();
        foreach (var positional in arguments.Positional)
        {
            if (positional.Kind == ValueKind.Dict)
            {
                foreach (var (key, value) in positional.AsDict)
                {
                    result.AsDict[key] = value;
                }
            }
        }

        foreach (var (key, value) in arguments.Keywords)
        {
            result.AsDict[Value.FromString(key)] = value;
        }

        return result;
    }
}
