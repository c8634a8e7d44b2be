namespace Arbiter.Engine.Conditions;

/// <summary>
/// A node of a parsed condition. Operators are calls named after the operator (<c>+</c>, <c>&amp;&amp;</c>,
/// <c>?:</c>, <c>[]</c>, <c>in</c>, <c>!</c>, unary minus <c>-_</c>); macros are calls the compiler expands.
/// <see cref="Depth"/> is worked out as each node is made (from its children's), so bounding it needs no recursion.
/// </summary>
public abstract class Expr
{
    protected Expr(int position, params ReadOnlySpan<Expr?> children)
    {
        Position = position;
        var depth = 0;
        foreach (var child in children)
            if (child is not null && child.Depth > depth)
                depth = child.Depth;
        Depth = depth + 1;
    }

    /// <summary>Offset of the node's first (or operator) character in the condition.</summary>
    public int Position { get; }

    public int Depth { get; }

    public sealed class Literal(int position, CelValue value) : Expr(position)
    {
        public CelValue Value { get; } = value;
    }

    public sealed class Ident(int position, string name) : Expr(position)
    {
        public string Name { get; } = name;
    }

    /// <summary><c>operand.field</c>; with <see cref="Test"/>, <c>has(operand.field)</c>.</summary>
    public sealed class Select(int position, Expr operand, string field, bool test = false) : Expr(position, operand)
    {
        public Expr Operand { get; } = operand;
        public string Field { get; } = field;
        public bool Test { get; } = test;
    }

    /// <summary><c>function(args)</c>, or <c>target.function(args)</c> when <see cref="Target"/> is set.</summary>
    public sealed class Call : Expr
    {
        public Call(int position, Expr? target, string function, Expr[] args)
            : base(position, [target, .. args])
        {
            Target = target;
            Function = function;
            Args = args;
        }

        public Expr? Target { get; }
        public string Function { get; }
        public Expr[] Args { get; }
    }

    public sealed class CreateList(int position, Expr[] items) : Expr(position, items)
    {
        public Expr[] Items { get; } = items;
    }

    public sealed class CreateMap : Expr
    {
        public CreateMap(int position, Expr[] keys, Expr[] values)
            : base(position, [.. keys, .. values])
        {
            Keys = keys;
            Values = values;
        }

        public Expr[] Keys { get; }
        public Expr[] Values { get; }
    }
}
