using System.Text;

namespace Wafer.Models.ChatTemplates;

/// <summary>Executes parsed statements into text; expressions are evaluated by the other part of this class.</summary>
internal sealed partial class Interpreter
{
    /// <summary>How a statement list finished: normally, or by a loop's <c>break</c>/<c>continue</c>.</summary>
    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    public static string Render(List<Stmt> template, Scope globals)
    {
        var output = new StringBuilder();
        var interpreter = new Interpreter();
        interpreter.Execute(template, new Scope(globals), output);
        return output.ToString();
    }

    private Flow Execute(List<Stmt> statements, Scope scope, StringBuilder output)
    {
        foreach (var statement in statements)
        {
            var flow = Execute(statement, scope, output);
            if (flow != Flow.Normal)
            {
                return flow;
            }
        }

        return Flow.Normal;
    }

    private Flow Execute(Stmt statement, Scope scope, StringBuilder output)
    {
        switch (statement)
        {
            case TextStmt text:
                output.Append(text.Text);
                return Flow.Normal;
            case OutputStmt print:
                output.Append(ValueFormatter.ToDisplayString(Evaluate(print.Expression, scope)));
                return Flow.Normal;
            case IfStmt conditional:
                foreach (var (condition, body) in conditional.Branches)
                {
                    if (Evaluate(condition, scope).IsTruthy())
                    {
                        return Execute(body, scope, output);
                    }
                }

                return conditional.ElseBody is null ? Flow.Normal : Execute(conditional.ElseBody, scope, output);
            case ForStmt loop:
                ExecuteFor(loop, scope, output);
                return Flow.Normal;
            case SetStmt set:
                ExecuteSet(set, scope);
                return Flow.Normal;
            case SetBlockStmt setBlock:
                scope.Set(setBlock.Name, ApplyFilters(setBlock.Filters, Capture(setBlock.Body, scope), scope));
                return Flow.Normal;
            case MacroStmt macro:
                scope.Set(macro.Name, DefineMacro(macro.Name, macro.Parameters, macro.Body, scope));
                return Flow.Normal;
            case CallBlockStmt callBlock:
                output.Append(ValueFormatter.ToDisplayString(ExecuteCallBlock(callBlock, scope)));
                return Flow.Normal;
            case FilterBlockStmt filterBlock:
                output.Append(ValueFormatter.ToDisplayString(ApplyFilters(filterBlock.Filters, Capture(filterBlock.Body, scope), scope)));
                return Flow.Normal;
            case LoopControlStmt control:
                return control.IsBreak ? Flow.Break : Flow.Continue;
            case PassThroughStmt passThrough:
                return Execute(passThrough.Body, scope, output);
            case DoStmt doStatement:
                Evaluate(doStatement.Expression, scope);
                return Flow.Normal;
            default:
                throw new TemplateException($"unsupported statement {statement.GetType().Name}", statement.Line, statement.Column);
        }
    }

    private Value Capture(List<Stmt> body, Scope scope)
    {
        var captured = new StringBuilder();
        Execute(body, scope, captured);
        return Value.FromString(captured.ToString());
    }

    private Value ApplyFilters(List<FilterExpr> filters, Value value, Scope scope)
    {
        foreach (var filter in filters)
        {
            value = ApplyFilter(filter, value, scope);
        }

        return value;
    }

    private void ExecuteFor(ForStmt loop, Scope scope, StringBuilder output)
    {
        var iterable = Evaluate(loop.Iterable, scope);
        var items = Iterate(iterable, loop.Iterable);
        var loopScope = new Scope(scope);
        if (loop.Filter is not null)
        {
            items = items.Where(item =>
            {
                BindTargets(loop, item, loopScope);
                return Evaluate(loop.Filter, loopScope).IsTruthy();
            }).ToList();
        }

        for (var i = 0; i < items.Count; i++)
        {
            BindTargets(loop, items[i], loopScope);
            loopScope.Set("loop", LoopVariable.Create(items, i));
            var flow = Execute(loop.Body, loopScope, output);
            if (flow == Flow.Break)
            {
                break;
            }
        }

        if (items.Count == 0 && loop.ElseBody is not null)
        {
            Execute(loop.ElseBody, new Scope(scope), output);
        }
    }

    private static void BindTargets(ForStmt loop, Value item, Scope scope)
    {
        if (loop.Targets.Count == 1)
        {
            scope.Set(loop.Targets[0], item);
            return;
        }

        Unpack(loop.Targets, item, scope, loop);
    }

    private static void Unpack(List<string> targets, Value item, Scope scope, Stmt at)
    {
        if (item.Kind != ValueKind.List || item.AsList.Count != targets.Count)
        {
            throw new TemplateException($"cannot unpack {item.TypeName} into {targets.Count} names", at.Line, at.Column);
        }

        for (var t = 0; t < targets.Count; t++)
        {
            scope.Set(targets[t], item.AsList[t]);
        }
    }

    /// <summary>The items a for loop or filter walks: list items, dict keys, string characters; undefined/none is empty.</summary>
    internal static List<Value> Iterate(Value value, Expr at)
    {
        return value.Kind switch
        {
            ValueKind.List => [.. value.AsList],
            ValueKind.Dict => [.. value.AsDict.Keys],
            ValueKind.String => [.. EnumerateCharacters(value.AsString)],
            ValueKind.Undefined => [],
            _ => at.Line == 0
                ? throw new TemplateRuntimeException($"'{value.TypeName}' object is not iterable")
                : throw new TemplateException($"'{value.TypeName}' object is not iterable", at.Line, at.Column),
        };
    }

    internal static IEnumerable<Value> EnumerateCharacters(string text)
    {
        // Python iterates code points, so a surrogate pair stays one character.
        for (var i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
        {
            yield return Value.FromString(text.Substring(i, char.IsSurrogatePair(text, i) ? 2 : 1));
        }
    }

    private void ExecuteSet(SetStmt set, Scope scope)
    {
        var value = Evaluate(set.Value, scope);
        if (set.Namespace is not null)
        {
            var target = Evaluate(set.Namespace, scope);
            if (target.Kind != ValueKind.Dict)
            {
                throw new TemplateException($"cannot set attribute '{set.Attribute}' on {target.TypeName}; use namespace()", set.Line, set.Column);
            }

            target.AsDict[Value.FromString(set.Attribute!)] = value;
            return;
        }

        if (set.Targets.Count == 1)
        {
            scope.Set(set.Targets[0], value);
            return;
        }

        Unpack(set.Targets, value, scope, set);
    }
}
