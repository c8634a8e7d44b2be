namespace Arbiter.Engine.Conditions;

/// <summary>
/// The bounds every condition is held to, checked before parsing (length, nesting) and while parsing (AST size and
/// depth), so that neither the parser, the checker, the compiler nor the evaluator ever recurses deeper than
/// <see cref="MaxAstDepth"/> frames, and evaluation (<see cref="MaxSteps"/>) can neither crash nor stall a decision.
/// cel-go's defaults are a reference (parser recursion 250, expression size 100,000 code points); real policy
/// conditions are a line or a few, so these are smaller, far from the stack's limits on any thread, and generous for
/// what an author writes: the longest condition in the seed is well under 100 characters.
/// </summary>
public static class ConditionLimits
{
    /// <summary>Characters in a condition. A few screens of CEL; far more than any real condition needs.</summary>
    public const int MaxLength = 4096;

    /// <summary>
    /// Open brackets at once — <c>(</c>, <c>[</c>, <c>{</c> — and <c>?:</c> nesting, measured by a scan without
    /// recursion before the parser runs. Each level is a few parser frames; 32 is far below any stack limit.
    /// </summary>
    public const int MaxNesting = 32;

    /// <summary>
    /// Depth of the syntax tree (the longest path from the root to a leaf). A left-associative chain like
    /// <c>a + b + c</c> is as deep as it is long, and so is a member chain <c>a.b.c</c> or a unary chain <c>!!a</c>;
    /// chains of <c>&amp;&amp;</c> and <c>||</c> are balanced, so a list of a thousand alternatives is only ten deep.
    /// The checker, compiler and evaluator recurse once per level.
    /// </summary>
    public const int MaxAstDepth = 64;

    /// <summary>Nodes in the syntax tree (literals, names, operators, calls).</summary>
    public const int MaxAstNodes = 1024;

    /// <summary>
    /// Evaluation steps per condition: each operator, call and comprehension iteration costs one, string and list
    /// work costs its length. About a millisecond of CPU at most; a condition over a list of a thousand items
    /// needs a few thousand.
    /// </summary>
    public const int MaxSteps = 50_000;

    /// <summary>
    /// Evaluation steps for all the conditions one decision evaluates together: many expensive conditions on one
    /// decision cannot add up to a stall either. Four conditions' full budgets; real decisions use a few dozen steps.
    /// </summary>
    public const int MaxStepsPerDecision = 4 * MaxSteps;

    /// <summary>Characters in a regular expression given to <c>matches</c>.</summary>
    public const int MaxRegexLength = 256;

    /// <summary>The reason a condition that ran out of steps denies with.</summary>
    public const string BudgetExceeded = "condition exceeded its evaluation budget";
}
