using Cel;

namespace Arbiter.Engine.Policies;

/// <summary>
/// Compiles policy conditions written in CEL (Common Expression Language). Variables: subject, agent, resource,
/// action, context — each a map. A compiled condition is a reusable delegate.
/// </summary>
public static class ConditionCompiler
{
    // CelEnvironment.Compile is not documented as thread-safe; compiled delegates are invoked concurrently.
    private static readonly Lock Gate = new();
    private static readonly CelEnvironment Environment = new(null, null);

    /// <summary>Returns null and the compiled condition, or the compile error.</summary>
    public static string? TryCompile(string expression, out Func<IDictionary<string, object?>, object?>? compiled)
    {
        compiled = null;
        if (string.IsNullOrWhiteSpace(expression))
            return "the condition is empty";
        try
        {
            CelProgramDelegate program;
            lock (Gate)
            {
                program = Environment.Compile(expression);
            }
            compiled = variables => program.Invoke((Dictionary<string, object?>)variables);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return e.Message;
        }
    }
}
