namespace Arbiter.Engine.Conditions;

/// <summary>
/// A condition that cannot be accepted (too large, a syntax error, a type error), with where in the text. Thrown
/// only while compiling, caught once by <see cref="ConditionProgram.TryCompile"/> and turned into its message.
/// </summary>
public sealed class ConditionException(string message, int position) : Exception(message)
{
    /// <summary>Offset in the condition's text (0-based).</summary>
    public int Position { get; } = position;

    /// <summary>The message with the line and column (1-based) of <see cref="Position"/> in <paramref name="text"/>.</summary>
    public string Describe(string text)
    {
        var offset = Math.Clamp(Position, 0, text.Length);
        var line = 1;
        var column = 1;
        for (var i = 0; i < offset; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }
        return $"{Message} (line {line}, column {column})";
    }
}
