using Arbiter.Engine.Conditions;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Engine.Policies;

/// <summary>
/// Compiles policy conditions written in CEL (Common Expression Language) against the variables a decision offers
/// (<see cref="Scope"/>): bounded, parsed, type-checked and compiled once, then evaluated per decision.
/// </summary>
public static class ConditionCompiler
{
    /// <summary>Returns null and the compiled condition, or the problem (with its line and column).</summary>
    public static string? TryCompile(string expression, out ConditionProgram? compiled) =>
        ConditionProgram.TryCompile(expression, Scope.Environment, out compiled);
}
