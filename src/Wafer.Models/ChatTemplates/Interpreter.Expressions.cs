using System.Text;

namespace Wafer.Models.ChatTemplates;

/// <summary>Expression evaluation, calls, filters, tests and macros.</summary>
internal sealed partial class Interpreter
{
    internal Value Evaluate(Expr expression, Scope scope)
    {
        try
        {
            return EvaluateCore(expression, scope);
        }
        catch (TemplateRuntimeException ex)
        {
            throw new TemplateException(ex.Message, expression.Line, expression.Column, ex.RaisedByTemplate, ex);
        }
    }

    private Value EvaluateCore(Expr expression, Scope scope)
    {
        switch (expression)
        {
            case LiteralExpr literal:
                return literal.Value;
            case NameExpr name:
                return scope.Get(name.Name);
            case ListExpr list:
                return Value.FromList([.. list.Items.Select(item => Evaluate(item, scope))]);
            case TupleExpr tuple:
                return Value.FromList([.. tuple.Items.Select(item => Evaluate(item, scope))]);
            case DictExpr dict:
                var result = Value.NewDict();
                foreach (var (key, value) in dict.Entries)
                {
                    result.AsDict[Evaluate(key, scope)] = Evaluate(value, scope);
                }

                return result;
            case AttributeExpr attribute:
                return Members.GetAttribute(Evaluate(attribute.Target, scope), attribute.Name);
            case IndexExpr item:
                return Members.GetItem(Evaluate(item.Target, scope), Evaluate(item.Index, scope));
            case SliceExpr slice:
                return Members.Slice(
                    Evaluate(slice.Target, scope),
                    slice.Start is null ? null : Evaluate(slice.Start, scope),
                    slice.Stop is null ? null : Evaluate(slice.Stop, scope),
                    slice.Step is null ? null : Evaluate(slice.Step, scope));
            case CallExpr call:
                return EvaluateCall(call, scope);
            case FilterExpr filter:
                return ApplyFilter(filter, Evaluate(filter.Target, scope), scope);
            case TestExpr test:
                var passed = TemplateTests.Run(test.Name, Evaluate(test.Target, scope), EvaluateArguments(test.Arguments, scope, test.Name));
                return Value.FromBool(passed != test.Negated);
            case UnaryExpr unary:
                var operand = Evaluate(unary.Operand, scope);
                return unary.Operator == "not" ? Value.FromBool(!operand.IsTruthy()) : Operators.Unary(unary.Operator, operand);
            case BinaryExpr binary:
                return EvaluateBinary(binary, scope);
            case ConditionalExpr conditional:
                if (Evaluate(conditional.Condition, scope).IsTruthy())
                {
                    return Evaluate(conditional.WhenTrue, scope);
                }

                return conditional.WhenFalse is null ? Value.MakeUndefined("else") : Evaluate(conditional.WhenFalse, scope);
            default:
                throw new TemplateRuntimeException($"unsupported expression {expression.GetType().Name}");
        }
    }

    private Value EvaluateBinary(BinaryExpr binary, Scope scope)
    {
        var left = Evaluate(binary.Left, scope);
        switch (binary.Operator)
        {
            case "and":
                return left.IsTruthy() ? Evaluate(binary.Right, scope) : left;
            case "or":
                return left.IsTruthy() ? left : Evaluate(binary.Right, scope);
            default:
                return Operators.Binary(binary.Operator, left, Evaluate(binary.Right, scope));
        }
    }

    private Value EvaluateCall(CallExpr call, Scope scope)
    {
        if (call.Callee is AttributeExpr method)
        {
            var target = Evaluate(method.Target, scope);
            var arguments = EvaluateArguments(call.Arguments, scope, method.Name);
            if (Members.TryCallMethod(target, method.Name, arguments, out var result))
            {
                return result;
            }

            return Invoke(Members.GetAttribute(target, method.Name), arguments, method.Name);
        }

        var name = call.Callee is NameExpr named ? named.Name : "expression";
        return Invoke(Evaluate(call.Callee, scope), EvaluateArguments(call.Arguments, scope, name), name);
    }

    private static Value Invoke(Value callee, Arguments arguments, string name)
    {
        if (callee.Kind != ValueKind.Callable)
        {
            throw new TemplateRuntimeException(callee.IsUndefined
                ? $"'{callee.UndefinedName ?? name}' is undefined and cannot be called"
                : $"'{name}' is a {callee.TypeName}, not a function");
        }

        return callee.AsCallable(arguments);
    }

    private Arguments EvaluateArguments(CallArguments arguments, Scope scope, string callee)
    {
        if (arguments.Positional.Count == 0 && arguments.Keywords.Count == 0)
        {
            return new Arguments([], [], callee);
        }

        var positional = arguments.Positional.Select(argument => Evaluate(argument, scope)).ToList();
        var keywords = arguments.Keywords.Select(k => new KeyValuePair<string, Value>(k.Name, Evaluate(k.Value, scope))).ToList();
        return new Arguments(positional, keywords, callee);
    }

    private Value ApplyFilter(FilterExpr filter, Value input, Scope scope)
    {
        var arguments = EvaluateArguments(filter.Arguments, scope, filter.Name);
        try
        {
            return Filters.Apply(filter.Name, input, arguments);
        }
        catch (TemplateRuntimeException ex)
        {
            throw new TemplateException(ex.Message, filter.Line, filter.Column, ex.RaisedByTemplate, ex);
        }
    }

    /// <summary>How deep macro calls may nest at render time (recursive macros render nested JSON schemas a few levels deep).</summary>
    private const int MaxMacroDepth = 100;

    private int macroDepth;

    private Value DefineMacro(string name, List<MacroParameter> parameters, List<Stmt> body, Scope definitionScope)
    {
        return Value.FromFunction(arguments =>
        {
            var macroScope = new Scope(definitionScope);
            var used = 0;
            for (var p = 0; p < parameters.Count; p++)
            {
                var parameter = parameters[p];
                var value = arguments.Get(parameter.Name, p);
                if (p < arguments.Count)
                {
                    used++;
                }

                if (value.IsUndefined && value.UndefinedName == parameter.Name && parameter.Default is not null)
                {
                    value = Evaluate(parameter.Default, macroScope);
                }

                macroScope.Set(parameter.Name, value);
            }

            // Extra positional arguments are available as varargs, extra keywords as kwargs, as in Jinja.
            macroScope.Set("varargs", Value.FromList([.. arguments.Positional.Skip(used)]));
            var extra = Value.NewDict();
            foreach (var (key, value) in arguments.Keywords)
            {
                if (key == "caller")
                {
                    macroScope.Set("caller", value);
                }
                else if (!parameters.Any(p => p.Name == key))
                {
                    extra.AsDict[Value.FromString(key)] = value;
                }
            }

            macroScope.Set("kwargs", extra);
            if (++macroDepth > MaxMacroDepth)
            {
                throw new TemplateRuntimeException($"macro '{name}' calls nest deeper than {MaxMacroDepth} levels (a macro that calls itself without end?)");
            }

            try
            {
                var output = new StringBuilder();
                Execute(body, macroScope, output);
                return Value.FromString(output.ToString());
            }
            finally
            {
                macroDepth--;
            }
        });
    }

    private Value ExecuteCallBlock(CallBlockStmt callBlock, Scope scope)
    {
        var caller = DefineMacro("caller", callBlock.CallerParameters, callBlock.Body, scope);
        var call = callBlock.Call;
        var arguments = EvaluateArguments(call.Arguments, scope, "call");
        arguments.Keywords.Add(new("caller", caller));
        try
        {
            return Invoke(Evaluate(call.Callee, scope), arguments, call.Callee is NameExpr named ? named.Name : "call");
        }
        catch (TemplateRuntimeException ex)
        {
            throw new TemplateException(ex.Message, callBlock.Line, callBlock.Column, ex.RaisedByTemplate, ex);
        }
    }
}
