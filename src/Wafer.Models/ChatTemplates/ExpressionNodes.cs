namespace Wafer.Models.ChatTemplates;

/// <summary>Base of expression syntax nodes; each remembers where it starts for error messages.</summary>
internal abstract record Expr(int Line, int Column);

/// <summary>A literal constant (string, number, boolean, none).</summary>
internal sealed record LiteralExpr(Value Value, int Line, int Column) : Expr(Line, Column);

/// <summary>A variable reference.</summary>
internal sealed record NameExpr(string Name, int Line, int Column) : Expr(Line, Column);

/// <summary><c>[a, b]</c>.</summary>
internal sealed record ListExpr(List<Expr> Items, int Line, int Column) : Expr(Line, Column);

/// <summary><c>(a, b)</c>; tuples behave as lists at run time.</summary>
internal sealed record TupleExpr(List<Expr> Items, int Line, int Column) : Expr(Line, Column);

/// <summary><c>{k: v}</c>, keeping source order.</summary>
internal sealed record DictExpr(List<(Expr Key, Expr Value)> Entries, int Line, int Column) : Expr(Line, Column);

/// <summary><c>obj.name</c>.</summary>
internal sealed record AttributeExpr(Expr Target, string Name, int Line, int Column) : Expr(Line, Column);

/// <summary><c>obj[index]</c>.</summary>
internal sealed record IndexExpr(Expr Target, Expr Index, int Line, int Column) : Expr(Line, Column);

/// <summary><c>obj[start:stop:step]</c>, any part optional.</summary>
internal sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step, int Line, int Column) : Expr(Line, Column);

/// <summary>Arguments as written at a call site.</summary>
internal sealed record CallArguments(List<Expr> Positional, List<(string Name, Expr Value)> Keywords)
{
    public static readonly CallArguments Empty = new([], []);
}

/// <summary><c>f(args)</c>.</summary>
internal sealed record CallExpr(Expr Callee, CallArguments Arguments, int Line, int Column) : Expr(Line, Column);

/// <summary><c>value | name(args)</c>.</summary>
internal sealed record FilterExpr(Expr Target, string Name, CallArguments Arguments, int Line, int Column) : Expr(Line, Column);

/// <summary><c>value is [not] name(args)</c>.</summary>
internal sealed record TestExpr(Expr Target, string Name, CallArguments Arguments, bool Negated, int Line, int Column) : Expr(Line, Column);

/// <summary><c>not x</c>, <c>-x</c>, <c>+x</c>.</summary>
internal sealed record UnaryExpr(string Operator, Expr Operand, int Line, int Column) : Expr(Line, Column);

/// <summary>Arithmetic, comparison, <c>~</c>, <c>in</c>, <c>and</c>/<c>or</c>.</summary>
internal sealed record BinaryExpr(string Operator, Expr Left, Expr Right, int Line, int Column) : Expr(Line, Column);

/// <summary><c>a if cond else b</c>; the else part is optional (undefined when missing).</summary>
internal sealed record ConditionalExpr(Expr Condition, Expr WhenTrue, Expr? WhenFalse, int Line, int Column) : Expr(Line, Column);
