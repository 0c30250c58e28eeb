namespace Wafer.Models.ChatTemplates;

/// <summary>Positional and keyword arguments of one call, as evaluated by the interpreter.</summary>
internal sealed class Arguments
{
    public Arguments(List<Value> positional, List<KeyValuePair<string, Value>> keywords, string callee)
    {
        Positional = positional;
        Keywords = keywords;
        Callee = callee;
    }

    public List<Value> Positional { get; }

    public List<KeyValuePair<string, Value>> Keywords { get; }

    /// <summary>Name of the function being called, for error messages.</summary>
    public string Callee { get; }

    public int Count => Positional.Count;

    public static Arguments Of(string callee, params Value[] positional) => new([.. positional], [], callee);

    /// <summary>The argument named <paramref name="name"/> (by keyword) or at <paramref name="position"/>; undefined when absent.</summary>
    public Value Get(string name, int position)
    {
        foreach (var (key, value) in Keywords)
        {
            if (key == name)
            {
                return value;
            }
        }

        return position < Positional.Count ? Positional[position] : Value.MakeUndefined(name);
    }

    /// <summary>The positional argument at <paramref name="position"/>, or an error naming the function.</summary>
    public Value Required(int position, string name)
    {
        var value = Get(name, position);
        if (value.IsUndefined && value.UndefinedName == name)
        {
            throw new TemplateRuntimeException($"{Callee}() is missing its argument '{name}'");
        }

        return value;
    }

    /// <summary>A required string argument.</summary>
    public string RequiredString(int position, string name)
    {
        var value = Required(position, name);
        return value.IsString ? value.AsString : throw new TemplateRuntimeException($"{Callee}() expects '{name}' to be a string, got {value.TypeName}");
    }

    /// <summary>An optional argument that falls back to <paramref name="fallback"/> when absent or undefined.</summary>
    public Value Optional(string name, int position, Value fallback)
    {
        var value = Get(name, position);
        return value.IsUndefined ? fallback : value;
    }
}
