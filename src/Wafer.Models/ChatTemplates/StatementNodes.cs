namespace Wafer.Models.ChatTemplates;

/// <summary>Base of statement syntax nodes (template text, output and tags).</summary>
internal abstract record Stmt(int Line, int Column);

/// <summary>Literal template text.</summary>
internal sealed record TextStmt(string Text, int Line, int Column) : Stmt(Line, Column);

/// <summary><c>{{ expr }}</c>.</summary>
internal sealed record OutputStmt(Expr Expression, int Line, int Column) : Stmt(Line, Column);

/// <summary><c>if</c>/<c>elif</c>/<c>else</c>: the first branch whose condition holds runs.</summary>
internal sealed record IfStmt(List<(Expr Condition, List<Stmt> Body)> Branches, List<Stmt>? ElseBody, int Line, int Column) : Stmt(Line, Column);

/// <summary><c>for targets in iterable [if filter]</c> with an optional <c>else</c> for empty loops.</summary>
internal sealed record ForStmt(List<string> Targets, Expr Iterable, Expr? Filter, List<Stmt> Body, List<Stmt>? ElseBody, int Line, int Column) : Stmt(Line, Column);

/// <summary><c>set name = expr</c>, <c>set a, b = expr</c> or <c>set ns.attr = expr</c>.</summary>
internal sealed record SetStmt(List<string> Targets, Expr? Namespace, string? Attribute, Expr Value, int Line, int Column) : Stmt(Line, Column);

/// <summary><c>{% set name %}body{% endset %}</c>, optionally filtered.</summary>
internal sealed record SetBlockStmt(string Name, List<FilterExpr> Filters, List<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

/// <summary>A macro parameter with an optional default.</summary>
internal sealed record MacroParameter(string Name, Expr? Default);

/// <summary><c>macro name(params)</c>.</summary>
internal sealed record MacroStmt(string Name, List<MacroParameter> Parameters, List<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

/// <summary><c>{% call(params) macro(args) %}body{% endcall %}</c>: the body becomes <c>caller()</c>.</summary>
internal sealed record CallBlockStmt(CallExpr Call, List<MacroParameter> CallerParameters, List<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

/// <summary><c>{% filter name %}body{% endfilter %}</c>.</summary>
internal sealed record FilterBlockStmt(List<FilterExpr> Filters, List<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

/// <summary><c>break</c> or <c>continue</c> inside a loop.</summary>
internal sealed record LoopControlStmt(bool IsBreak, int Line, int Column) : Stmt(Line, Column);

/// <summary>A block tag with no rendering effect of its own (e.g. <c>generation</c>): its body renders as is.</summary>
internal sealed record PassThroughStmt(List<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

/// <summary><c>{% do expr %}</c>: evaluates for side effects.</summary>
internal sealed record DoStmt(Expr Expression, int Line, int Column) : Stmt(Line, Column);
