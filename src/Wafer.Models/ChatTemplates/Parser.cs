namespace Wafer.Models.ChatTemplates;

/// <summary>Recursive-descent parser from tokens to statement trees; statement tags live here, expressions in the other part.</summary>
internal sealed partial class Parser
{
    /// <summary>How deep blocks and expressions may nest: far past any real template, far short of the stack (each level is
    /// a dozen recursive calls here and as many when it renders).</summary>
    internal const int MaxNestingDepth = 200;

    private readonly List<Token> tokens;
    private int index;
    private int depth;

    private Parser(List<Token> tokens) => this.tokens = tokens;

    private Token Current => tokens[index];

    public static List<Stmt> Parse(string source)
    {
        var parser = new Parser(Lexer.Tokenize(source));
        var body = parser.ParseBody([]);
        if (parser.Current.Kind != TokenKind.EndOfFile)
        {
            throw Error($"unexpected tag '{parser.tokens[parser.index + 1].Text}'", parser.Current);
        }

        return body;
    }

    // Parses statements until a block tag whose name is in stopTags (left unconsumed, positioned at its name).
    private List<Stmt> ParseBody(HashSet<string> stopTags)
    {
        Descend(Current);
        var body = ParseBodyCore(stopTags);
        depth--;
        return body;
    }

    private List<Stmt> ParseBodyCore(HashSet<string> stopTags)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.EndOfFile:
                    if (stopTags.Count > 0)
                    {
                        throw Error($"unexpected end of template; expected one of {string.Join(", ", stopTags.Order(StringComparer.Ordinal).Select(t => $"'{t}'"))}", token);
                    }

                    return body;
                case TokenKind.Text:
                    body.Add(new TextStmt(token.Text, token.Line, token.Column));
                    index++;
                    break;
                case TokenKind.VariableStart:
                    index++;
                    var expression = ParseExpression();
                    Expect(TokenKind.VariableEnd);
                    body.Add(new OutputStmt(expression, token.Line, token.Column));
                    break;
                case TokenKind.BlockStart:
                    var name = tokens[index + 1];
                    if (name.Kind == TokenKind.Name && stopTags.Contains(name.Text))
                    {
                        index++;
                        return body;
                    }

                    index++;
                    body.Add(ParseTag(token));
                    break;
                default:
                    throw Error($"unexpected {token}", token);
            }
        }
    }

    private Stmt ParseTag(Token start)
    {
        var name = Current;
        if (name.Kind != TokenKind.Name)
        {
            throw Error($"expected a tag name, got {name}", name);
        }

        index++;
        switch (name.Text)
        {
            case "if": return ParseIf(start);
            case "for": return ParseFor(start);
            case "set": return ParseSet(start);
            case "macro": return ParseMacro(start);
            case "call": return ParseCallBlock(start);
            case "filter": return ParseFilterBlock(start);
            case "do":
                var expression = ParseExpression();
                Expect(TokenKind.BlockEnd);
                return new DoStmt(expression, start.Line, start.Column);
            case "break" or "continue":
                Expect(TokenKind.BlockEnd);
                return new LoopControlStmt(name.Text == "break", start.Line, start.Column);
            case "generation":
                Expect(TokenKind.BlockEnd);
                var body = ParseBody(["endgeneration"]);
                ExpectEnd("endgeneration");
                return new PassThroughStmt(body, start.Line, start.Column);
            default:
                throw Error($"unknown tag '{name.Text}'", name);
        }
    }

    private IfStmt ParseIf(Token start)
    {
        var branches = new List<(Expr, List<Stmt>)>();
        List<Stmt>? elseBody = null;
        var condition = ParseExpression();
        Expect(TokenKind.BlockEnd);
        while (true)
        {
            var body = ParseBody(["elif", "else", "endif"]);
            branches.Add((condition, body));
            var tag = Current.Text;
            index++;
            if (tag == "elif")
            {
                condition = ParseExpression();
                Expect(TokenKind.BlockEnd);
                continue;
            }

            Expect(TokenKind.BlockEnd);
            if (tag == "else")
            {
                elseBody = ParseBody(["endif"]);
                ExpectEnd("endif");
            }

            return new IfStmt(branches, elseBody, start.Line, start.Column);
        }
    }

    private ForStmt ParseFor(Token start)
    {
        var targets = new List<string> { ExpectName() };
        while (Current.IsOperator(","))
        {
            index++;
            targets.Add(ExpectName());
        }

        ExpectKeyword("in");
        var iterable = ParseOr();
        Expr? filter = null;
        if (Current.IsName("if"))
        {
            index++;
            filter = ParseOr();
        }

        if (Current.IsName("recursive"))
        {
            throw Error("recursive loops are not supported", Current);
        }

        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["else", "endfor"]);
        List<Stmt>? elseBody = null;
        if (Current.IsName("else"))
        {
            index++;
            Expect(TokenKind.BlockEnd);
            elseBody = ParseBody(["endfor"]);
        }

        ExpectEnd("endfor");
        return new ForStmt(targets, iterable, filter, body, elseBody, start.Line, start.Column);
    }

    private Stmt ParseSet(Token start)
    {
        var first = Current;
        var name = ExpectName();
        if (Current.IsOperator("."))
        {
            index++;
            var attribute = ExpectName();
            ExpectOperator("=");
            var value = ParseExpression();
            Expect(TokenKind.BlockEnd);
            return new SetStmt([], new NameExpr(name, first.Line, first.Column), attribute, value, start.Line, start.Column);
        }

        var targets = new List<string> { name };
        while (Current.IsOperator(","))
        {
            index++;
            targets.Add(ExpectName());
        }

        if (Current.IsOperator("="))
        {
            index++;
            var value = ParseExpression();
            Expect(TokenKind.BlockEnd);
            return new SetStmt(targets, null, null, value, start.Line, start.Column);
        }

        var filters = ParseFilterChain();
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endset"]);
        ExpectEnd("endset");
        return new SetBlockStmt(name, filters, body, start.Line, start.Column);
    }

    private MacroStmt ParseMacro(Token start)
    {
        var name = ExpectName();
        var parameters = ParseParameters();
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endmacro"]);
        ExpectEnd("endmacro");
        return new MacroStmt(name, parameters, body, start.Line, start.Column);
    }

    private CallBlockStmt ParseCallBlock(Token start)
    {
        var parameters = Current.IsOperator("(") ? ParseParameters() : [];
        var call = ParseExpression() as CallExpr ?? throw Error("'call' expects a macro call", start);
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endcall"]);
        ExpectEnd("endcall");
        return new CallBlockStmt(call, parameters, body, start.Line, start.Column);
    }

    private FilterBlockStmt ParseFilterBlock(Token start)
    {
        index--;
        var filters = ParseFilterChain();
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endfilter"]);
        ExpectEnd("endfilter");
        return new FilterBlockStmt(filters, body, start.Line, start.Column);
    }

    // Parses "| f(args) | g" after a set-block name, or "filter f | g" in a filter block (leading token skipped).
    private List<FilterExpr> ParseFilterChain()
    {
        var filters = new List<FilterExpr>();
        var placeholder = new LiteralExpr(Value.Undefined, Current.Line, Current.Column);
        while (Current.IsOperator("|") || Current.IsName("filter"))
        {
            index++;
            var filter = ParseFilter(placeholder);
            filters.Add(filter);
        }

        return filters;
    }

    private List<MacroParameter> ParseParameters()
    {
        ExpectOperator("(");
        var parameters = new List<MacroParameter>();
        while (!Current.IsOperator(")"))
        {
            var name = ExpectName();
            Expr? fallback = null;
            if (Current.IsOperator("="))
            {
                index++;
                fallback = ParseExpression();
            }

            parameters.Add(new MacroParameter(name, fallback));
            if (!Current.IsOperator(","))
            {
                break;
            }

            index++;
        }

        ExpectOperator(")");
        return parameters;
    }

    private void ExpectEnd(string tag)
    {
        ExpectKeyword(tag);
        Expect(TokenKind.BlockEnd);
    }

    private Token Expect(TokenKind kind)
    {
        var token = Current;
        if (token.Kind != kind)
        {
            var expected = kind switch
            {
                TokenKind.BlockEnd => "'%}'",
                TokenKind.VariableEnd => "'}}'",
                _ => kind.ToString(),
            };
            throw Error($"expected {expected}, got {token}", token);
        }

        index++;
        return token;
    }

    private string ExpectName()
    {
        var token = Current;
        if (token.Kind != TokenKind.Name)
        {
            throw Error($"expected a name, got {token}", token);
        }

        index++;
        return token.Text;
    }

    private void ExpectKeyword(string keyword)
    {
        if (!Current.IsName(keyword))
        {
            throw Error($"expected '{keyword}', got {Current}", Current);
        }

        index++;
    }

    private void ExpectOperator(string op)
    {
        if (!Current.IsOperator(op))
        {
            throw Error($"expected '{op}', got {Current}", Current);
        }

        index++;
    }

    private static TemplateException Error(string problem, Token at) => new(problem, at.Line, at.Column);

    /// <summary>One level deeper (undone by the caller on success; a failed parse is thrown away whole).</summary>
    private void Descend(Token at)
    {
        if (++depth > MaxNestingDepth)
        {
            throw Error($"the template nests blocks and expressions deeper than {MaxNestingDepth} levels", at);
        }
    }
}
