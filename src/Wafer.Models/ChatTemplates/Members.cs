namespace Wafer.Models.ChatTemplates;

/// <summary>Attribute access, subscripts, slices and method dispatch on template values.</summary>
internal static class Members
{
    /// <summary><c>obj.name</c>: a dict key, a bound method of a string/list/dict, or undefined.</summary>
    public static Value GetAttribute(Value target, string name)
    {
        if (target.Kind == ValueKind.Dict && target.AsDict.TryGetValue(Value.FromString(name), out var found))
        {
            return found;
        }

        if (target.Kind is ValueKind.String or ValueKind.List or ValueKind.Dict && HasMethod(target, name))
        {
            return Value.FromFunction(arguments =>
                TryCallMethod(target, name, arguments, out var result) ? result : Value.MakeUndefined(name));
        }

        return Value.MakeUndefined(name);
    }

    /// <summary><c>obj[key]</c>: list/string index (negative counts from the end) or dict key; undefined when missing.</summary>
    public static Value GetItem(Value target, Value key)
    {
        switch (target.Kind)
        {
            case ValueKind.Dict:
                return target.AsDict.TryGetValue(key, out var found) ? found : Value.MakeUndefined(key.ToString());
            case ValueKind.List when key.Kind is ValueKind.Int or ValueKind.Bool:
                var list = target.AsList;
                var index = key.AsInt < 0 ? key.AsInt + list.Count : key.AsInt;
                return index >= 0 && index < list.Count ? list[(int)index] : Value.MakeUndefined($"[{key.AsInt}]");
            case ValueKind.String when key.Kind is ValueKind.Int:
                var characters = Interpreter.EnumerateCharacters(target.AsString).ToList();
                var position = key.AsInt < 0 ? key.AsInt + characters.Count : key.AsInt;
                return position >= 0 && position < characters.Count ? characters[(int)position] : Value.MakeUndefined($"[{key.AsInt}]");
            case ValueKind.String or ValueKind.List when key.IsString:
                return GetAttribute(target, key.AsString);
            default:
                return Value.MakeUndefined(key.ToString());
        }
    }

    /// <summary>Python slicing <c>obj[start:stop:step]</c> of a list or string.</summary>
    public static Value Slice(Value target, Value? start, Value? stop, Value? step)
    {
        var stepValue = step is null || step.IsNone ? 1 : step.AsInt;
        if (stepValue == 0)
        {
            throw new TemplateRuntimeException("slice step cannot be zero");
        }

        var isString = target.IsString;
        var items = isString ? Interpreter.EnumerateCharacters(target.AsString).ToList()
            : target.Kind == ValueKind.List ? target.AsList
            : throw new TemplateRuntimeException($"'{target.TypeName}' object is not subscriptable");
        var count = items.Count;
        long Normalize(Value? bound, long fallback, long low, long high)
        {
            if (bound is null || bound.IsNone)
            {
                return fallback;
            }

            var value = bound.AsInt < 0 ? bound.AsInt + count : bound.AsInt;
            return Math.Clamp(value, low, high);
        }

        var result = new List<Value>();
        if (stepValue > 0)
        {
            var from = Normalize(start, 0, 0, count);
            var to = Normalize(stop, count, 0, count);
            for (var i = from; i < to; i += stepValue)
            {
                result.Add(items[(int)i]);
            }
        }
        else
        {
            var from = Normalize(start, count - 1, -1, count - 1);
            var to = Normalize(stop, -1, -1, count - 1);
            for (var i = from; i > to; i += stepValue)
            {
                result.Add(items[(int)i]);
            }
        }

        return isString ? Value.FromString(string.Concat(result.Select(r => r.AsString))) : Value.FromList(result);
    }

    /// <summary>Calls <c>target.name(arguments)</c> when <paramref name="target"/> has such a method.</summary>
    public static bool TryCallMethod(Value target, string name, Arguments arguments, out Value result)
    {
        switch (target.Kind)
        {
            case ValueKind.String:
                return StringMethods.TryCall(target.AsString, name, arguments, out result);
            case ValueKind.List:
                return CollectionMethods.TryCallList(target, name, arguments, out result);
            case ValueKind.Dict when !target.AsDict.ContainsKey(Value.FromString(name)):
                return CollectionMethods.TryCallDict(target, name, arguments, out result);
            default:
                result = Value.Undefined;
                return false;
        }
    }

    private static bool HasMethod(Value target, string name) => target.Kind switch
    {
        ValueKind.String => StringMethods.Names.Contains(name),
        ValueKind.List => CollectionMethods.ListMethodNames.Contains(name),
        _ => CollectionMethods.DictMethodNames.Contains(name),
    };
}
