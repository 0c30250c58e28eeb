namespace Wafer.Models.ChatTemplates;

/// <summary>The Python <c>list</c> and <c>dict</c> methods chat templates call (<c>append</c>, <c>items</c>, <c>get</c>, …).</summary>
internal static class CollectionMethods
{
    public static readonly HashSet<string> ListMethodNames = ["append", "pop", "index", "count", "insert", "extend", "copy", "remove", "reverse"];

    public static readonly HashSet<string> DictMethodNames = ["items", "keys", "values", "get", "update", "pop", "setdefault", "copy"];

    public static bool TryCallList(Value target, string name, Arguments arguments, out Value result)
    {
        var list = target.AsList;
        result = Value.None;
        switch (name)
        {
            case "append":
                list.Add(arguments.Required(0, "item"));
                return true;
            case "extend":
                list.AddRange(Interpreter.Iterate(arguments.Required(0, "iterable"), new LiteralExpr(Value.None, 0, 0)));
                return true;
            case "insert":
                var at = (int)arguments.Required(0, "index").AsInt;
                list.Insert(Math.Clamp(at < 0 ? at + list.Count : at, 0, list.Count), arguments.Required(1, "item"));
                return true;
            case "pop":
                if (list.Count == 0)
                {
                    throw new TemplateRuntimeException("pop from empty list");
                }

                var index = (int)arguments.Optional("index", 0, Value.FromInt(-1)).AsInt;
                index = index < 0 ? index + list.Count : index;
                if (index < 0 || index >= list.Count)
                {
                    throw new TemplateRuntimeException("pop index out of range");
                }

                result = list[index];
                list.RemoveAt(index);
                return true;
            case "index":
                var found = list.FindIndex(item => ValueEqualityComparer.Instance.Equals(item, arguments.Required(0, "value")));
                result = found >= 0 ? Value.FromInt(found) : throw new TemplateRuntimeException("value is not in list");
                return true;
            case "count":
                var needle = arguments.Required(0, "value");
                result = Value.FromInt(list.Count(item => ValueEqualityComparer.Instance.Equals(item, needle)));
                return true;
            case "copy":
                result = Value.FromList([.. list]);
                return true;
            case "remove":
                list.Remove(arguments.Required(0, "value"));
                return true;
            case "reverse":
                list.Reverse();
                return true;
            default:
                return false;
        }
    }

    public static bool TryCallDict(Value target, string name, Arguments arguments, out Value result)
    {
        var dict = target.AsDict;
        result = Value.None;
        switch (name)
        {
            case "items":
                result = Value.FromList([.. dict.Select(e => Value.FromList([e.Key, e.Value]))]);
                return true;
            case "keys":
                result = Value.FromList([.. dict.Keys]);
                return true;
            case "values":
                result = Value.FromList([.. dict.Values]);
                return true;
            case "get":
                result = dict.TryGetValue(arguments.Required(0, "key"), out var found) ? found : arguments.Optional("default", 1, Value.None);
                return true;
            case "pop":
                var key = arguments.Required(0, "key");
                if (dict.Remove(key, out var removed))
                {
                    result = removed;
                }
                else
                {
                    result = arguments.Count > 1 ? arguments.Positional[1] : throw new TemplateRuntimeException($"key {key} is not in the dict");
                }

                return true;
            case "setdefault":
                var defaultKey = arguments.Required(0, "key");
                if (!dict.TryGetValue(defaultKey, out result!))
                {
                    result = arguments.Optional("default", 1, Value.None);
                    dict[defaultKey] = result;
                }

                return true;
            case "update":
                foreach (var (k, v) in arguments.Count > 0 ? arguments.Positional[0].AsDict : [])
                {
                    dict[k] = v;
                }

                foreach (var (k, v) in arguments.Keywords)
                {
                    dict[Value.FromString(k)] = v;
                }

                return true;
            case "copy":
                var copy = Value.NewDict();
                foreach (var (k, v) in dict)
                {
                    copy.AsDict[k] = v;
                }

                result = copy;
                return true;
            default:
                return false;
        }
    }
}
