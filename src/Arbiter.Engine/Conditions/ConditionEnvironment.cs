namespace Arbiter.Engine.Conditions;

/// <summary>
/// The variables a condition may name: each with its static type and how to read it from an <see cref="Activation"/>.
/// A name not declared here is a compile error ("undeclared reference").
/// </summary>
public sealed class ConditionEnvironment
{
    private readonly Dictionary<string, Variable> _variables = new(StringComparer.Ordinal);

    public ConditionEnvironment Declare(string name, CelType type, Func<Activation, CelValue> read)
    {
        _variables[name] = new Variable(type, read);
        return this;
    }

    public bool TryGet(string name, out Variable variable) => _variables.TryGetValue(name, out variable!);

    public IEnumerable<string> Names => _variables.Keys;

    public sealed record Variable(CelType Type, Func<Activation, CelValue> Read);
}
