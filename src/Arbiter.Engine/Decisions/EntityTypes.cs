using System.Text.RegularExpressions;

namespace Arbiter.Engine.Decisions;

/// <summary>
/// Subjects and resources may be of any type (AuthZEN): a short name. The types Arbiter gives a meaning to are in
/// <see cref="SubjectTypes"/> and <see cref="ResourceTypes"/>; every other type is decided by the policies that name it.
/// </summary>
public static partial class EntityTypes
{
    public const string Rule = "1-64 characters: letters, digits and _ . : - (starting with a letter or digit)";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
    private static partial Regex Pattern();

    public static bool IsValid(string type) => Pattern().IsMatch(type);
}
