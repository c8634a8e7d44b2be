namespace Arbiter.Engine.Conditions;

/// <summary>
/// A condition compiled once (per policy) and evaluated many times, concurrently: the program holds no state; each
/// evaluation's state (steps left, comprehension variables) lives on its <see cref="Activation"/>.
/// </summary>
public sealed class ConditionProgram
{
    private readonly Func<Activation, CelValue> _eval;
    private readonly int _slots;

    private ConditionProgram(string text, CelType type, Func<Activation, CelValue> eval, int slots)
    {
        Text = text;
        Type = type;
        _eval = eval;
        _slots = slots;
    }

    public string Text { get; }

    /// <summary>The static type of the result: bool, or dyn when it depends on request data.</summary>
    public CelType Type { get; }

    /// <summary>
    /// Bounds, parses, checks and compiles a condition. Returns null and the program, or the first problem with its
    /// line and column. Never throws for any text.
    /// </summary>
    public static string? TryCompile(string text, ConditionEnvironment environment, out ConditionProgram? program)
    {
        program = null;
        if (string.IsNullOrWhiteSpace(text))
            return "the condition is empty";
        try
        {
            var expr = Parser.Parse(text);
            var compiler = new Compiler(environment);
            var node = compiler.Compile(expr);
            if (!CelType.Bool.Accepts(node.Type))
                throw new ConditionException($"a condition must be a bool, but this one is {node.Type.Name}", expr.Position);
            program = new ConditionProgram(text, node.Type, node.Eval, compiler.Slots);
            return null;
        }
        catch (ConditionException e)
        {
            return e.Describe(text);
        }
        catch (InsufficientExecutionStackException)
        {
            // Unreachable within the limits; kept so that no text can take the process down.
            return "the condition nests too deeply";
        }
    }

    /// <summary>Evaluates on <paramref name="activation"/> with a fresh step budget. An error is a value, never an exception.</summary>
    public CelValue Evaluate(Activation activation)
    {
        var budget = ConditionLimits.MaxSteps;
        return Evaluate(activation, ref budget);
    }

    /// <summary>
    /// Evaluates with at most <paramref name="budget"/> steps (and never more than <see cref="ConditionLimits.MaxSteps"/>),
    /// and takes the steps spent from it: a budget shared by the conditions of one decision.
    /// </summary>
    public CelValue Evaluate(Activation activation, ref int budget)
    {
        var steps = Math.Min(budget, ConditionLimits.MaxSteps);
        activation.Steps = steps;
        activation.Locals = _slots == 0 ? null : new CelValue[_slots];
        var value = _eval(activation);
        budget -= steps - Math.Max(activation.Steps, 0);
        return value;
    }

    /// <summary>The result as a condition's outcome: true, false, or null and why it is neither.</summary>
    public bool? Holds(Activation activation, ref int budget, out string? problem)
    {
        var value = Evaluate(activation, ref budget);
        problem = null;
        if (value.Kind == CelKind.Bool)
            return value.AsBool;
        problem = value.IsError ? value.ErrorMessage : $"the condition gave {value.TypeName}, not a bool";
        return null;
    }

    /// <summary>The outcome with a fresh budget of its own.</summary>
    public bool? Holds(Activation activation, out string? problem)
    {
        var budget = ConditionLimits.MaxSteps;
        return Holds(activation, ref budget, out problem);
    }

    public override string ToString() => Text;
}
