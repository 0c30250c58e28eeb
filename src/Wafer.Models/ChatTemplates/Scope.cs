namespace Wafer.Models.ChatTemplates;

/// <summary>A frame of variables; lookups fall back to the enclosing frame, assignments stay local.</summary>
internal sealed class Scope
{
    private readonly Dictionary<string, Value> variables = new(StringComparer.Ordinal);
    private readonly Scope? parent;

    public Scope(Scope? parent) => this.parent = parent;

    public bool TryGet(string name, out Value value)
    {
        for (var scope = this; scope is not null; scope = scope.parent)
        {
            if (scope.variables.TryGetValue(name, out value!))
            {
                return true;
            }
        }

        value = Value.Undefined;
        return false;
    }

    public Value Get(string name) => TryGet(name, out var value) ? value : Value.MakeUndefined(name);

    public void Set(string name, Value value) => variables[name] = value;
}
