using System.Globalization;

namespace Wafer.Models.ChatTemplates;

/// <summary>Expression grammar, following Jinja's precedence: if-else, or, and, not, comparisons, + -, ~, * / // %, **, unary, postfix.</summary>
internal sealed partial class Parser
{
    private static readonly HashSet<string> ComparisonOperators = ["==", "!=", "<", ">", "<=", ">="];

    private Expr ParseExpression()
    {
        Descend(Current);
        var expression = ParseConditional();
        depth--;
        return expression;
    }

    private Expr ParseConditional()
    {
        var start = Current;
        var expression = ParseOr();
        if (!Current.IsName("if"))
        {
            return expression;
        }

        index++;
        var condition = ParseOr();
        Expr? whenFalse = null;
        if (Current.IsName("else"))
        {
            index++;
            whenFalse = ParseExpression();
        }

        return new ConditionalExpr(condition, expression, whenFalse, start.Line, start.Column);
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var op = Current;
            index++;
            left = new BinaryExpr("or", left, ParseAnd(), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var op = Current;
            index++;
            left = new BinaryExpr("and", left, ParseNot(), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            var op = Current;
            index++;
            Descend(op);
            var operand = ParseNot();
            depth--;
            return new UnaryExpr("not", operand, op.Line, op.Column);
        }

        return ParseComparison();
    }

    private Expr ParseComparison()
    {
        var left = ParseAdditive();
        while (true)
        {
            var op = Current;
            string name;
            if (op.Kind == TokenKind.Operator && ComparisonOperators.Contains(op.Text))
            {
                name = op.Text;
                index++;
            }
            else if (op.IsName("in"))
            {
                name = "in";
                index++;
            }
            else if (op.IsName("not") && tokens[index + 1].IsName("in"))
            {
                name = "not in";
                index += 2;
            }
            else
            {
                return left;
            }

            left = new BinaryExpr(name, left, ParseAdditive(), op.Line, op.Column);
        }
    }

    private Expr ParseAdditive()
    {
        var left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            var op = Current;
            index++;
            left = new BinaryExpr(op.Text, left, ParseConcat(), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMultiplicative();
        while (Current.IsOperator("~"))
        {
            var op = Current;
            index++;
            left = new BinaryExpr("~", left, ParseMultiplicative(), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParseMultiplicative()
    {
        var left = ParsePower();
        while (Current.IsOperator("*") || Current.IsOperator("/") || Current.IsOperator("//") || Current.IsOperator("%"))
        {
            var op = Current;
            index++;
            left = new BinaryExpr(op.Text, left, ParsePower(), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParsePower()
    {
        var left = ParseUnary(withFilters: true);
        while (Current.IsOperator("**"))
        {
            var op = Current;
            index++;
            left = new BinaryExpr("**", left, ParseUnary(withFilters: true), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParseUnary(bool withFilters)
    {
        var start = Current;
        Expr expression;
        if (start.IsOperator("-") || start.IsOperator("+"))
        {
            index++;
            Descend(start);
            var operand = ParseUnary(withFilters: false);
            depth--;
            expression = new UnaryExpr(start.Text, operand, start.Line, start.Column);
        }
        else
        {
            expression = ParsePostfix(ParsePrimary());
        }

        return withFilters ? ParseFiltersAndTests(expression) : expression;
    }

    private Expr ParseFiltersAndTests(Expr expression)
    {
        while (true)
        {
            if (Current.IsOperator("|"))
            {
                index++;
                expression = ParsePostfix(ParseFilter(expression));
            }
            else if (Current.IsName("is"))
            {
                expression = ParseTest(expression);
            }
            else
            {
                return expression;
            }
        }
    }

    private FilterExpr ParseFilter(Expr target)
    {
        var name = Current;
        var filterName = ExpectName();
        var arguments = Current.IsOperator("(") ? ParseCallArguments() : CallArguments.Empty;
        return new FilterExpr(target, filterName, arguments, name.Line, name.Column);
    }

    private TestExpr ParseTest(Expr target)
    {
        var isToken = Current;
        index++;
        var negated = false;
        if (Current.IsName("not"))
        {
            negated = true;
            index++;
        }

        var name = ExpectName();
        CallArguments arguments;
        if (Current.IsOperator("("))
        {
            arguments = ParseCallArguments();
        }
        else if (StartsTestArgument(Current))
        {
            arguments = new CallArguments([ParsePostfix(ParsePrimary())], []);
        }
        else
        {
            arguments = CallArguments.Empty;
        }

        return new TestExpr(target, name, arguments, negated, isToken.Line, isToken.Column);
    }

    // Jinja lets a test take one argument without parentheses: "x is divisibleby 3", "x is sameas false".
    private static bool StartsTestArgument(Token token) => token.Kind switch
    {
        TokenKind.String or TokenKind.Integer or TokenKind.Float => true,
        TokenKind.Name => token.Text is not ("else" or "or" or "and" or "if" or "is" or "not" or "in"),
        TokenKind.Operator => token.Text is "[" or "{",
        _ => false,
    };

    private Expr ParsePostfix(Expr expression)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("."))
            {
                index++;
                var name = Current;
                if (name.Kind is not (TokenKind.Name or TokenKind.Integer))
                {
                    throw Error($"expected an attribute name after '.', got {name}", name);
                }

                index++;
                expression = name.Kind == TokenKind.Integer
                    ? new IndexExpr(expression, new LiteralExpr(Value.FromInt(IntegerOf(name)), name.Line, name.Column), token.Line, token.Column)
                    : new AttributeExpr(expression, name.Text, token.Line, token.Column);
            }
            else if (token.IsOperator("["))
            {
                expression = ParseSubscript(expression);
            }
            else if (token.IsOperator("("))
            {
                expression = new CallExpr(expression, ParseCallArguments(), token.Line, token.Column);
            }
            else
            {
                return expression;
            }
        }
    }

    private Expr ParseSubscript(Expr target)
    {
        var open = Current;
        index++;
        Expr? start = null;
        if (!Current.IsOperator(":"))
        {
            start = ParseExpression();
            if (Current.IsOperator("]"))
            {
                index++;
                return new IndexExpr(target, start, open.Line, open.Column);
            }
        }

        ExpectOperator(":");
        var stop = Current.IsOperator(":") || Current.IsOperator("]") ? null : ParseExpression();
        Expr? step = null;
        if (Current.IsOperator(":"))
        {
            index++;
            step = Current.IsOperator("]") ? null : ParseExpression();
        }

        ExpectOperator("]");
        return new SliceExpr(target, start, stop, step, open.Line, open.Column);
    }

    private CallArguments ParseCallArguments()
    {
        ExpectOperator("(");
        var positional = new List<Expr>();
        var keywords = new List<(string, Expr)>();
        while (!Current.IsOperator(")"))
        {
            if (Current.Kind == TokenKind.Name && tokens[index + 1].IsOperator("="))
            {
                var name = Current.Text;
                index += 2;
                keywords.Add((name, ParseExpression()));
            }
            else
            {
                positional.Add(ParseExpression());
            }

            if (!Current.IsOperator(","))
            {
                break;
            }

            index++;
        }

        ExpectOperator(")");
        return new CallArguments(positional, keywords);
    }

    private Expr ParsePrimary()
    {
        var token = Current;
        index++;
        switch (token.Kind)
        {
            case TokenKind.String:
                // Adjacent string literals concatenate, as in Python.
                var text = token.Text;
                while (Current.Kind == TokenKind.String)
                {
                    text += Current.Text;
                    index++;
                }

                return new LiteralExpr(Value.FromString(text), token.Line, token.Column);
            case TokenKind.Integer:
                return new LiteralExpr(Value.FromInt(IntegerOf(token)), token.Line, token.Column);
            case TokenKind.Float:
                return new LiteralExpr(Value.FromDouble(double.Parse(token.Text, CultureInfo.InvariantCulture)), token.Line, token.Column);
            case TokenKind.Name:
                return token.Text switch
                {
                    "true" or "True" => new LiteralExpr(Value.True, token.Line, token.Column),
                    "false" or "False" => new LiteralExpr(Value.False, token.Line, token.Column),
                    "none" or "None" => new LiteralExpr(Value.None, token.Line, token.Column),
                    _ => new NameExpr(token.Text, token.Line, token.Column),
                };
            case TokenKind.Operator when token.Text == "(":
                return ParseParenthesized(token);
            case TokenKind.Operator when token.Text == "[":
                return new ListExpr(ParseSequence("]"), token.Line, token.Column);
            case TokenKind.Operator when token.Text == "{":
                return ParseDict(token);
            default:
                throw Error($"unexpected {token} in expression", token);
        }
    }

    private Expr ParseParenthesized(Token open)
    {
        if (Current.IsOperator(")"))
        {
            index++;
            return new TupleExpr([], open.Line, open.Column);
        }

        var first = ParseExpression();
        if (Current.IsOperator(")"))
        {
            index++;
            return first;
        }

        var items = new List<Expr> { first };
        while (Current.IsOperator(","))
        {
            index++;
            if (Current.IsOperator(")"))
            {
                break;
            }

            items.Add(ParseExpression());
        }

        ExpectOperator(")");
        return new TupleExpr(items, open.Line, open.Column);
    }

    private List<Expr> ParseSequence(string close)
    {
        var items = new List<Expr>();
        while (!Current.IsOperator(close))
        {
            items.Add(ParseExpression());
            if (!Current.IsOperator(","))
            {
                break;
            }

            index++;
        }

        ExpectOperator(close);
        return items;
    }

    private DictExpr ParseDict(Token open)
    {
        var entries = new List<(Expr, Expr)>();
        while (!Current.IsOperator("}"))
        {
            var key = ParseExpression();
            ExpectOperator(":");
            entries.Add((key, ParseExpression()));
            if (!Current.IsOperator(","))
            {
                break;
            }

            index++;
        }

        ExpectOperator("}");
        return new DictExpr(entries, open.Line, open.Column);
    }

    /// <summary>An integer literal's value; one past the 64-bit range is a template error (Jinja's are unbounded, ours are not).</summary>
    private static long IntegerOf(Token token) =>
        long.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw Error($"integer literal {token.Text} is outside the 64-bit range", token);
}
