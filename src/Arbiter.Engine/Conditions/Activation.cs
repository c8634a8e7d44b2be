namespace Arbiter.Engine.Conditions;

/// <summary>
/// What one evaluation of a condition reads: the variables (declared by the <see cref="ConditionEnvironment"/>,
/// read through its accessors from the subclass's facts), the comprehension variables, and the step budget.
/// One activation serves the conditions of one decision leg, one after another, on one thread.
/// </summary>
public abstract class Activation
{
    /// <summary>Steps left; below zero the evaluation is out of budget.</summary>
    internal int Steps;

    /// <summary>Values of the comprehension variables in scope, by slot.</summary>
    internal CelValue[]? Locals;
}
