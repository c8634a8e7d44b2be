namespace Arbiter.Engine.Tests.Conditions;

/// <summary>What validation refuses before a policy is stored: everything that cannot be right whatever the request.</summary>
public sealed class CheckerTests
{
    [Theory]
    [InlineData("user.id == 'x'", "undeclared reference to 'user' (line 1, column 1)")]
    [InlineData("name == 'a' && nme == 'b'", "undeclared reference to 'nme' (line 1, column 16)")]
    [InlineData("'abc'", "a condition must be a bool, but this one is string (line 1, column 1)")]
    [InlineData("n + 1", "a condition must be a bool, but this one is int (line 1, column 3)")]
    [InlineData("name < 1", "no matching overload for '<' applied to (string, int) (line 1, column 6)")]
    [InlineData("name == 1", "no matching overload for '==' applied to (string, int) (line 1, column 6)")]
    [InlineData("n + 'a' == 1", "no matching overload for '+' applied to (int, string) (line 1, column 3)")]
    [InlineData("n + 1.0 == 1.0", "no matching overload for '+' applied to (int, double) (line 1, column 3)")]
    [InlineData("name && true", "no matching overload for '&&' applied to (string, bool) (line 1, column 6)")]
    [InlineData("!n", "no matching overload for '!' applied to (int) (line 1, column 1)")]
    [InlineData("n.contains('a')", "no matching overload for 'contains' applied to (int, string) (line 1, column 2)")]
    [InlineData("name.frobnicate()", "unknown function 'frobnicate' with 0 argument(s) on a value (line 1, column 5)")]
    [InlineData("frobnicate(name)", "undeclared reference to function 'frobnicate' (line 1, column 1)")]
    [InlineData("n.x == 1", "type 'int' does not support field selection (line 1, column 2)")]
    [InlineData("tags[0] == 1", "no matching overload for '==' applied to (string, int) (line 1, column 9)")]
    [InlineData("tags['a'] == 'a'", "no matching overload for '[]' applied to (list(string), string) (line 1, column 5)")]
    [InlineData("1 in name", "no matching overload for 'in' applied to (int, string) (line 1, column 3)")]
    [InlineData("tags.all(t, t)", "the predicate of 'all' must be a bool, not string (line 1, column 13)")]
    [InlineData("tags.all(1, true)", "'all' needs a variable name and a predicate, like list.all(x, x > 0) (line 1, column 5)")]
    [InlineData("n.all(x, true)", "'all' applies to a list or a map, not int (line 1, column 2)")]
    [InlineData("tags.all(t, t == 1)", "no matching overload for '==' applied to (string, int) (line 1, column 15)")]
    [InlineData("name.matches('(')", "invalid regular expression '(':")]
    [InlineData("name.matches('(?=a)a')", "invalid regular expression '(?=a)a':")]
    [InlineData("when > timestamp('yesterday')", "invalid timestamp 'yesterday' (expected RFC 3339, like 2026-01-01T00:00:00Z) (line 1, column 18)")]
    [InlineData("duration('forever') > duration('1s')", "invalid duration 'forever' (expected a number and a unit, like 90s, 1h30m or 250ms) (line 1, column 10)")]
    [InlineData("when.getHours('Mars/Olympus') == 1", "unknown time zone 'Mars/Olympus' (expected an IANA name like 'Europe/Paris' or an offset like '+05:30') (line 1, column 15)")]
    [InlineData("when + 1 > when", "no matching overload for '+' applied to (google.protobuf.Timestamp, int) (line 1, column 6)")]
    [InlineData("when.getHours() == 'noon'", "no matching overload for '==' applied to (int, string) (line 1, column 17)")]
    [InlineData("has(name)", "has() needs a field selection, like has(context.amount) (line 1, column 1)")]
    [InlineData("int(tags) == 1", "no matching overload for 'int' applied to (list(string)) (line 1, column 1)")]
    public void TryCompile_WrongWhateverTheRequest_IsRefusedWithThePosition(string text, string expected)
    {
        var error = Cel.CompileError(text);

        if (expected.EndsWith(':'))
            Assert.StartsWith(expected, error);
        else
            Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("data.anything == 'x'")]
    [InlineData("data.amount < 10000 && data.owner == name")]
    [InlineData("data.flag")]
    [InlineData("data.list.exists(x, x == n)")]
    [InlineData("name.matches(data.pattern)")]
    public void TryCompile_DependsOnRequestData_IsAccepted(string text)
    {
        Assert.Null(Cel.CompileError(text));
    }
}
