namespace Arbiter.Engine.Conditions;

/// <summary>
/// A recursive-descent parser for CEL (github.com/google/cel-spec, doc/langdef.md "Syntax"). Left-associative chains
/// are built in loops; recursion happens only where the grammar nests (brackets, arguments, the branches of
/// <c>?:</c>), and an explicit depth counter stops it at <see cref="ConditionLimits.MaxAstDepth"/>. Every node made is
/// counted and its depth checked, so no tree the rest of the pipeline walks can exceed the limits.
/// Chains of <c>&amp;&amp;</c> and <c>||</c> are balanced (as cel-go does): their order of evaluation does not
/// change the result, because CEL's logical operators are commutative.
/// </summary>
public sealed class Parser
{
    private readonly Lexer _lexer;
    private Token _token;
    private int _depth;
    private int _nodes;

    private Parser(string text)
    {
        _lexer = new Lexer(text);
        _token = _lexer.Next();
    }

    /// <summary>Parses a whole condition; throws <see cref="ConditionException"/> on a syntax error or an exceeded bound.</summary>
    public static Expr Parse(string text)
    {
        ConditionBounds.Check(text);
        var parser = new Parser(text);
        var expr = parser.ParseExpr();
        if (parser._token.Kind != TokenKind.End)
            throw new ConditionException($"syntax error: unexpected {Describe(parser._token)}", parser._token.Position);
        return expr;
    }

    private T Node<T>(T node) where T : Expr
    {
        if (++_nodes > ConditionLimits.MaxAstNodes)
            throw new ConditionException($"the condition has more than {ConditionLimits.MaxAstNodes} operands and operators", node.Position);
        if (node.Depth > ConditionLimits.MaxAstDepth)
            throw new ConditionException($"the condition nests more than {ConditionLimits.MaxAstDepth} operations deep (split long chains of + or . into smaller parts)", node.Position);
        return node;
    }

    private Token Advance()
    {
        var token = _token;
        _token = _lexer.Next();
        return token;
    }

    private bool Accept(string punctuation)
    {
        if (!_token.Is(punctuation))
            return false;
        Advance();
        return true;
    }

    private Token Expect(string punctuation)
    {
        if (!_token.Is(punctuation))
            throw new ConditionException($"syntax error: expected '{punctuation}', found {Describe(_token)}", _token.Position);
        return Advance();
    }

    private static string Describe(Token token) => token.Kind switch
    {
        TokenKind.End => "the end of the condition",
        TokenKind.Literal or TokenKind.MinInt => "a literal",
        _ => $"'{token.Text}'",
    };

    private Expr ParseExpr()
    {
        if (++_depth > ConditionLimits.MaxAstDepth)
            throw new ConditionException($"the condition nests more than {ConditionLimits.MaxAstDepth} levels deep", _token.Position);
        var condition = ParseLogical("||");
        if (_token.Is("?"))
        {
            var position = Advance().Position;
            var then = ParseLogical("||");
            Expect(":");
            var otherwise = ParseExpr();
            condition = Node(new Expr.Call(position, null, "?:", [condition, then, otherwise]));
        }
        _depth--;
        return condition;
    }

    private Expr ParseLogical(string op)
    {
        var operands = new List<Expr> { op == "||" ? ParseLogical("&&") : ParseRelation() };
        var positions = new List<int>();
        while (_token.Is(op))
        {
            positions.Add(Advance().Position);
            operands.Add(op == "||" ? ParseLogical("&&") : ParseRelation());
        }
        return operands.Count == 1 ? operands[0] : Balance(op, operands, positions, 0, operands.Count);
    }

    /// <summary>A balanced tree over operands[from..to): depth log2 of the chain's length.</summary>
    private Expr Balance(string op, List<Expr> operands, List<int> positions, int from, int to)
    {
        if (to - from == 1)
            return operands[from];
        var middle = (from + to) / 2;
        var left = Balance(op, operands, positions, from, middle);
        var right = Balance(op, operands, positions, middle, to);
        return Node(new Expr.Call(positions[middle - 1], null, op, [left, right]));
    }

    private Expr ParseRelation()
    {
        var left = ParseAddition();
        while (_token.Kind == TokenKind.Punctuation && _token.Text is "<" or "<=" or ">" or ">=" or "==" or "!=" or "in")
        {
            var op = Advance();
            left = Node(new Expr.Call(op.Position, null, op.Text, [left, ParseAddition()]));
        }
        return left;
    }

    private Expr ParseAddition()
    {
        var left = ParseMultiplication();
        while (_token.Kind == TokenKind.Punctuation && _token.Text is "+" or "-")
        {
            var op = Advance();
            left = Node(new Expr.Call(op.Position, null, op.Text, [left, ParseMultiplication()]));
        }
        return left;
    }

    private Expr ParseMultiplication()
    {
        var left = ParseUnary();
        while (_token.Kind == TokenKind.Punctuation && _token.Text is "*" or "/" or "%")
        {
            var op = Advance();
            left = Node(new Expr.Call(op.Position, null, op.Text, [left, ParseUnary()]));
        }
        return left;
    }

    private Expr ParseUnary()
    {
        List<Token>? ops = null;
        while (_token.Is("!") || _token.Is("-"))
            (ops ??= []).Add(Advance());
        if (ops is null)
            return ParseMember();
        Expr operand;
        if (ops[^1].Text == "-" && _token.Kind is TokenKind.Literal or TokenKind.MinInt && _token.Value.Kind is CelKind.Int or CelKind.Double)
        {
            // A negative number literal, so that -9223372036854775808 is the smallest int rather than an overflow.
            var literal = Advance();
            var value = literal.Kind == TokenKind.MinInt ? literal.Value
                : literal.Value.Kind == CelKind.Int ? CelValue.Int(-literal.Value.AsInt) : CelValue.Double(-literal.Value.AsDouble);
            operand = ParseMemberSuffix(Node(new Expr.Literal(ops[^1].Position, value)));
            ops.RemoveAt(ops.Count - 1);
        }
        else
        {
            operand = ParseMember();
        }
        for (var i = ops.Count - 1; i >= 0; i--)
            operand = Node(new Expr.Call(ops[i].Position, null, ops[i].Text == "!" ? "!" : "-_", [operand]));
        return operand;
    }

    private Expr ParseMember() => ParseMemberSuffix(ParsePrimary());

    private Expr ParseMemberSuffix(Expr operand)
    {
        while (true)
        {
            if (_token.Is("."))
            {
                var dot = Advance();
                if (_token.Kind != TokenKind.Identifier)
                    throw new ConditionException($"syntax error: expected a field name after '.', found {Describe(_token)}", _token.Position);
                var name = Advance().Text;
                operand = _token.Is("(")
                    ? Node(new Expr.Call(dot.Position, operand, name, ParseArguments(")")))
                    : Node(new Expr.Select(dot.Position, operand, name));
            }
            else if (_token.Is("["))
            {
                var bracket = Advance();
                var index = ParseExpr();
                Expect("]");
                operand = Node(new Expr.Call(bracket.Position, null, "[]", [operand, index]));
            }
            else
            {
                return operand;
            }
        }
    }

    private Expr[] ParseArguments(string close)
    {
        Advance();
        var args = new List<Expr>();
        if (!_token.Is(close))
        {
            do
            {
                if (close == "]" && _token.Is(close))
                    break; // a trailing comma in a list
                args.Add(ParseExpr());
            }
            while (Accept(","));
        }
        Expect(close);
        return [.. args];
    }

    private Expr ParsePrimary()
    {
        var token = _token;
        switch (token.Kind)
        {
            case TokenKind.Literal:
                Advance();
                return Node(new Expr.Literal(token.Position, token.Value));
            case TokenKind.MinInt:
                throw new ConditionException("integer literal out of range", token.Position);
            case TokenKind.Identifier:
                if (Lexer.Reserved.Contains(token.Text))
                    throw new ConditionException($"'{token.Text}' is a reserved word", token.Position);
                Advance();
                if (_token.Is("("))
                    return Node(new Expr.Call(token.Position, null, token.Text, ParseArguments(")")));
                if (_token.Is("{"))
                    throw new ConditionException($"message construction ('{token.Text}{{...}}') is not supported", _token.Position);
                return Node(new Expr.Ident(token.Position, token.Text));
        }
        if (token.Is("."))
            throw new ConditionException("qualified names starting with '.' are not supported", token.Position);
        if (token.Is("("))
        {
            Advance();
            var inner = ParseExpr();
            Expect(")");
            return inner;
        }
        if (token.Is("["))
            return Node(new Expr.CreateList(token.Position, ParseArguments("]")));
        if (token.Is("{"))
            return ParseMap();
        throw new ConditionException($"syntax error: unexpected {Describe(token)}", token.Position);
    }

    private Expr ParseMap()
    {
        var open = Advance();
        var keys = new List<Expr>();
        var values = new List<Expr>();
        while (!_token.Is("}"))
        {
            keys.Add(ParseExpr());
            Expect(":");
            values.Add(ParseExpr());
            if (!Accept(","))
                break;
        }
        Expect("}");
        return Node(new Expr.CreateMap(open.Position, [.. keys], [.. values]));
    }
}
