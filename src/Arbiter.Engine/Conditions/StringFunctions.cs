using System.Text;
using System.Text.RegularExpressions;

namespace Arbiter.Engine.Conditions;

/// <summary>CEL's string functions (langdef.md "Strings"), and <c>size</c> on strings, lists and maps.</summary>
public static class StringFunctions
{
    public static CelValue Size(CelValue x) => x.Kind switch
    {
        // CEL counts Unicode code points, not UTF-16 units.
        CelKind.String => CelValue.Int(CodePoints(x.AsString)),
        CelKind.List => CelValue.Int(x.AsList.Count),
        CelKind.Map => CelValue.Int(x.AsMap.Count),
        _ => Operators.NoOverload("size", x),
    };

    private static int CodePoints(string s)
    {
        var n = s.Length;
        foreach (var c in s)
            if (char.IsLowSurrogate(c))
                n--;
        return n;
    }

    public static CelValue Contains(CelValue s, CelValue part) => Both(s, part)
        ? CelValue.Bool(s.AsString.Contains(part.AsString, StringComparison.Ordinal))
        : Operators.NoOverload("contains", s, part);

    public static CelValue StartsWith(CelValue s, CelValue part) => Both(s, part)
        ? CelValue.Bool(s.AsString.StartsWith(part.AsString, StringComparison.Ordinal))
        : Operators.NoOverload("startsWith", s, part);

    public static CelValue EndsWith(CelValue s, CelValue part) => Both(s, part)
        ? CelValue.Bool(s.AsString.EndsWith(part.AsString, StringComparison.Ordinal))
        : Operators.NoOverload("endsWith", s, part);

    public static CelValue Matches(CelValue s, CelValue pattern)
    {
        if (!Both(s, pattern))
            return Operators.NoOverload("matches", s, pattern);
        var regex = RegexCache.TryGet(pattern.AsString, out var error);
        return regex is null ? CelValue.Error(error!) : Matches(s, regex);
    }

    public static CelValue Matches(CelValue s, Regex regex) =>
        s.Kind == CelKind.String ? CelValue.Bool(regex.IsMatch(s.AsString)) : Operators.NoOverload("matches", s, CelValue.String(""));

    public static CelValue LowerAscii(CelValue s) => s.Kind == CelKind.String ? CelValue.String(Ascii(s.AsString, lower: true)) : Operators.NoOverload("lowerAscii", s);

    public static CelValue UpperAscii(CelValue s) => s.Kind == CelKind.String ? CelValue.String(Ascii(s.AsString, lower: false)) : Operators.NoOverload("upperAscii", s);

    private static string Ascii(string s, bool lower)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
            sb.Append(lower ? char.IsAsciiLetterUpper(c) ? (char)(c + 32) : c : char.IsAsciiLetterLower(c) ? (char)(c - 32) : c);
        return sb.ToString();
    }

    private static bool Both(in CelValue a, in CelValue b) => a.Kind == CelKind.String && b.Kind == CelKind.String;

    /// <summary>Steps a string operation costs: one, plus one per 64 characters it may scan.</summary>
    public static int Cost(in CelValue x) => x.Kind == CelKind.String ? 1 + (x.AsString.Length >> 6) : 1;
}
