namespace Wafer.Models.ChatTemplates;

/// <summary>Builds the <c>loop</c> object of a for loop: index, first/last, length, neighbours and <c>cycle()</c>.</summary>
internal static class LoopVariable
{
    public static Value Create(List<Value> items, int index)
    {
        var loop = Value.NewDict();
        var dict = loop.AsDict;
        var count = items.Count;
        Set(dict, "index", Value.FromInt(index + 1));
        Set(dict, "index0", Value.FromInt(index));
        Set(dict, "revindex", Value.FromInt(count - index));
        Set(dict, "revindex0", Value.FromInt(count - index - 1));
        Set(dict, "first", Value.FromBool(index == 0));
        Set(dict, "last", Value.FromBool(index == count - 1));
        Set(dict, "length", Value.FromInt(count));
        Set(dict, "depth", Value.FromInt(1));
        Set(dict, "depth0", Value.FromInt(0));
        Set(dict, "previtem", index > 0 ? items[index - 1] : Value.MakeUndefined("loop.previtem"));
        Set(dict, "nextitem", index + 1 < count ? items[index + 1] : Value.MakeUndefined("loop.nextitem"));
        Set(dict, "cycle", Value.FromFunction(arguments =>
            arguments.Count == 0
                ? throw new TemplateRuntimeException("loop.cycle() needs at least one value")
                : arguments.Positional[index % arguments.Count]));
        return loop;
    }

    private static void Set(OrderedDictionary<Value, Value> dict, string key, Value value) => dict[Value.FromString(key)] = value;
}
