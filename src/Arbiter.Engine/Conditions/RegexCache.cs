using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Arbiter.Engine.Conditions;

/// <summary>
/// Regular expressions for <c>matches</c>, compiled with <see cref="RegexOptions.NonBacktracking"/>: matching is linear
/// in the input whatever the pattern (<c>^(a+)+$</c> cannot backtrack catastrophically), and constructs that need
/// backtracking (backreferences, lookarounds) are refused, as RE2 — CEL's regex dialect — refuses them. A pattern
/// written in the condition is compiled once with it; a pattern computed at run time goes through a small cache.
/// </summary>
public static class RegexCache
{
    private const int MaxCached = 256;
    private static readonly ConcurrentDictionary<string, Regex> Cache = new(StringComparer.Ordinal);

    /// <summary>The compiled pattern, or null and why it cannot be used.</summary>
    public static Regex? TryGet(string pattern, out string? error)
    {
        error = null;
        if (Cache.TryGetValue(pattern, out var cached))
            return cached;
        if (pattern.Length > ConditionLimits.MaxRegexLength)
        {
            error = $"the regular expression is {pattern.Length} characters long; at most {ConditionLimits.MaxRegexLength} are allowed";
            return null;
        }
        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            error = $"invalid regular expression '{pattern}': {e.Message}";
            return null;
        }
        // Bounded: patterns computed from request data could otherwise grow it without end.
        if (Cache.Count >= MaxCached)
            Cache.Clear();
        Cache[pattern] = regex;
        return regex;
    }
}
