namespace Arbiter.Engine.Conditions;

/// <summary>
/// The checks made on a condition's text before it is parsed, in one loop without recursion: its length, how deeply
/// brackets nest, and how long a run of unary operators is (string literals are skipped). A text that passes cannot
/// drive the parser deeper than <see cref="ConditionLimits.MaxNesting"/> bracket levels.
/// </summary>
public static class ConditionBounds
{
    /// <summary>Throws <see cref="ConditionException"/> at the first bound the text exceeds.</summary>
    public static void Check(string text)
    {
        if (text.Length > ConditionLimits.MaxLength)
            throw new ConditionException($"the condition is {text.Length} characters long; at most {ConditionLimits.MaxLength} are allowed", ConditionLimits.MaxLength);
        var depth = 0;
        var unaryRun = 0;
        var operand = false; // whether the last token ended an operand: then '-' is binary
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
                continue;
            if (c is '"' or '\'')
            {
                i = SkipString(text, i);
                operand = true;
                unaryRun = 0;
                continue;
            }
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n')
                    i++;
                continue;
            }
            if (c is '(' or '[' or '{')
            {
                if (++depth > ConditionLimits.MaxNesting)
                    throw new ConditionException($"the condition nests more than {ConditionLimits.MaxNesting} levels deep", i);
                operand = false;
                unaryRun = 0;
                continue;
            }
            if (c is ')' or ']' or '}')
            {
                depth = Math.Max(0, depth - 1);
                operand = true;
                unaryRun = 0;
                continue;
            }
            if (c == '!' && (i + 1 >= text.Length || text[i + 1] != '=') || (c == '-' && !operand))
            {
                if (++unaryRun > ConditionLimits.MaxNesting)
                    throw new ConditionException($"the condition chains more than {ConditionLimits.MaxNesting} unary operators", i);
                operand = false;
                continue;
            }
            unaryRun = 0;
            operand = char.IsAsciiLetterOrDigit(c) || c is '_' or '.';
        }
    }

    /// <summary>The index of the string literal's closing quote (or the end); prefixes like <c>r</c> were already read as a letter.</summary>
    private static int SkipString(string text, int i)
    {
        var quote = text[i];
        var raw = i > 0 && text[i - 1] is 'r' or 'R';
        var triple = i + 2 < text.Length && text[i + 1] == quote && text[i + 2] == quote;
        i += triple ? 3 : 1;
        while (i < text.Length)
        {
            if (text[i] == '\\' && !raw)
            {
                i += 2;
                continue;
            }
            if (text[i] == quote && (!triple || (i + 2 < text.Length && text[i + 1] == quote && text[i + 2] == quote)))
                return triple ? i + 2 : i;
            i++;
        }
        return text.Length;
    }
}
