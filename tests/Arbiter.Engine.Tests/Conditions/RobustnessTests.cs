using System.Text;
using Arbiter.Engine.Conditions;

namespace Arbiter.Engine.Tests.Conditions;

/// <summary>
/// No text and no request data makes compiling or evaluating a condition throw: seeded random token soup, mutations
/// of valid conditions, and hostile literals. Compiling may refuse; evaluating may give an error value; neither throws.
/// </summary>
public sealed class RobustnessTests
{
    private static readonly string[] Tokens =
    [
        "data", "name", "n", "tags", "when", ".", "a", "list", "nested", "k", "(", ")", "[", "]", "{", "}", ",", ":", "?", "!",
        "-", "+", "*", "/", "%", "<", "<=", ">", ">=", "==", "!=", "&&", "||", "in", "1", "0", "-1", "1u", "2.5", "1e308",
        "9223372036854775807", "'a'", "\"\"", "r'\\\\'", "'''x'''", "true", "false", "null", "size", "has", "all", "exists",
        "exists_one", "map", "filter", "x", "matches", "'^(a+)+$'", "'('", "contains", "startsWith", "int", "uint", "double",
        "string", "timestamp", "duration", "'1h'", "'99999999999999999999h'", "'2026-01-01T00:00:00Z'", "'9999-12-31T23:59:59Z'",
        "getHours", "getDayOfWeek", "'Europe/Paris'", "'-23:59'", "type", "dyn", " ", "\n", "//c\n",
    ];

    private const string Noise = "()[]{}.,'\"\\!-+*/<>=&|?:0123456789aeu_ ";

    private const string Json = """{"a": 1, "list": [1, 2.5, "s", null, {"k": []}], "nested": {"k": "v"}, "huge": 1e400, "s": "aaaaaaaaaaaaaaaaaaaaaaaaaab"}""";

    [Fact]
    public void TryCompileAndEvaluate_RandomTokenSoup_NeverThrow()
    {
        var random = new Random(20261201);
        var compiled = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var sb = new StringBuilder();
            var length = random.Next(1, 10);
            for (var t = 0; t < length; t++)
                sb.Append(Tokens[random.Next(Tokens.Length)]).Append(random.Next(3) == 0 ? " " : "");
            if (Run(sb.ToString()))
                compiled++;
        }
        // The soup must reach the evaluator too, not only the parser's refusals.
        Assert.True(compiled > 50, $"only {compiled} random conditions compiled");
    }

    [Fact]
    public void TryCompileAndEvaluate_MutatedValidConditions_NeverThrow()
    {
        string[] seeds =
        [
            "data.list.exists(x, x == 1) && has(data.nested.k)",
            "when + duration('1h') > timestamp('2026-01-01T00:00:00Z') || when.getHours('Europe/Paris') < 8",
            "data.s.matches('^a+b$') && size(data.list) < 10 && data.huge > 1.0",
            "[1, 2, 3].map(x, x * 9223372036854775807).size() == 3",
            "{'a': 1, 'b': [1u, 2u]}['b'][1] == 2u ? name.startsWith('al') : int('12') / 0 == 1",
            "tags.all(t, t in ['a', 'b']) && data.list.filter(x, type(x) == int).size() == 1",
        ];
        var random = new Random(1201);
        for (var i = 0; i < 20_000; i++)
        {
            var chars = seeds[random.Next(seeds.Length)].ToCharArray().ToList();
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                var at = random.Next(chars.Count);
                var c = Noise[random.Next(Noise.Length)];
                switch (random.Next(3))
                {
                    case 0: chars.RemoveAt(at); break;
                    case 1: chars.Insert(at, c); break;
                    default: chars[at] = c; break;
                }
            }
            Run(new string([.. chars]));
        }
    }

    [Theory]
    [InlineData("duration('9999999999999999999999999999h') > duration('1s')")]
    [InlineData("duration(data.list[2] + '9999999999999999999999h') > duration('1s')")]
    [InlineData("timestamp('0001-01-01T00:00:00Z').getHours('-23:59') == 0")]
    [InlineData("timestamp('9999-12-31T23:59:59Z').getHours('Pacific/Kiritimati') == 0")]
    [InlineData("timestamp('0001-01-01T00:00:00Z') - duration('1s') < when")]
    [InlineData("timestamp(-62135596801) < when")]
    [InlineData("int(1e400) == 0 || uint(-1.5) == 0u || int(data.huge) == 1")]
    [InlineData("'\\U0010FFFF\\uD800'.size() == 2")]
    [InlineData("double('1e999') > 0.0 && int('99999999999999999999') == 0")]
    [InlineData("string(data.huge) == 'Infinity'")]
    public void TryCompileAndEvaluate_HostileLiterals_NeverThrow(string text)
    {
        Run(text);
    }

    /// <summary>Compiles and, if that works, evaluates over <see cref="Json"/>; any exception fails the test.</summary>
    private static bool Run(string text)
    {
        var error = ConditionProgram.TryCompile(text, Cel.Environment, out var program);
        if (error is not null)
        {
            Assert.False(string.IsNullOrEmpty(error));
            return false;
        }
        Cel.Outcome(text, Json);
        return true;
    }
}
