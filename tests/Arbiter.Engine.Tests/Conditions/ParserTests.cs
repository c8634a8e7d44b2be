using Arbiter.Engine.Conditions;

namespace Arbiter.Engine.Tests.Conditions;

/// <summary>CEL syntax (langdef.md "Syntax", "Lexical structure") and the bounds checked before and while parsing.</summary>
public sealed class ParserTests
{
    [Theory]
    [InlineData("1 + 2 * 3 == 7")]
    [InlineData("(1 + 2) * 3 == 9")]
    [InlineData("10 - 4 - 3 == 3")]
    [InlineData("100 / 10 / 5 == 2")]
    [InlineData("7 % 4 * 2 == 6")]
    [InlineData("1 < 2 == true")]
    [InlineData("true || false && false")]
    [InlineData("!false && !!true")]
    [InlineData("- -3 == 3")]
    [InlineData("-(-3) == 3")]
    [InlineData("false ? false : true ? true : false")]
    [InlineData("0x1F == 31")]
    [InlineData("0x1Fu == 31u")]
    [InlineData("-9223372036854775808 < 0")]
    [InlineData("18446744073709551615u > 0u")]
    [InlineData("1.5e3 == 1500.0 && .5 == 0.5 && 2e-1 == 0.2")]
    [InlineData("'a\\nb' == \"a\\u000Ab\" && '\\x41\\101' == 'AA'")]
    [InlineData("r'a\\nb'.size() == 4")]
    [InlineData("'''multi\nline''' == 'multi\\nline'")]
    [InlineData("\"it's\" == 'it\\'s'")]
    [InlineData("[1, 2, 3,].size() == 3 && {'a': 1, 'b': 2,}.size() == 2")]
    [InlineData("[1, [2, 3]][1][0] == 2")]
    [InlineData("// a comment\n name == 'alice' // another")]
    [InlineData("name.size() == 5")]
    [InlineData("!has(data.package) && !has(data.if)")]
    public void TryCompile_ValidSyntax_EvaluatesTrue(string text)
    {
        Assert.Equal("true", Cel.Outcome(text));
    }

    [Theory]
    [InlineData("name ==", "syntax error: unexpected the end of the condition (line 1, column 8)")]
    [InlineData("(name == 'a'", "syntax error: expected ')', found the end of the condition (line 1, column 13)")]
    [InlineData("name = 'a'", "unexpected character '=' (line 1, column 6)")]
    [InlineData("'abc", "unterminated string (line 1, column 1)")]
    [InlineData("name == 'a' &&\n  if", "'if' is a reserved word (line 2, column 3)")]
    [InlineData("9223372036854775808 > 0", "integer literal out of range (line 1, column 1)")]
    [InlineData("b'abc' == b'abc'", "bytes literals are not supported (line 1, column 1)")]
    [InlineData("'\\q' == 'q'", "invalid escape sequence '\\q' (line 1, column 2)")]
    [InlineData("Msg{a: 1} == 1", "message construction ('Msg{...}') is not supported (line 1, column 4)")]
    [InlineData("name.", "syntax error: expected a field name after '.', found the end of the condition (line 1, column 6)")]
    [InlineData("   ", "the condition is empty")]
    public void TryCompile_SyntaxError_SaysWhatAndWhere(string text, string expected)
    {
        Assert.Equal(expected, Cel.CompileError(text));
    }

    /// <summary>
    /// The crash from the hardening issue: a 3 KB condition nested 1,300 levels deep overflowed the stack in the old
    /// parser, killing the process. Run on a thread with a 256 KB stack, a quarter of the smallest default, so the
    /// bound is shown to hold with room to spare.
    /// </summary>
    [Theory]
    [InlineData("(", ")")]
    [InlineData("[", "]")]
    [InlineData("f(", ")")]
    public void TryCompile_NestedThirteenHundredLevels_IsRefusedWithAMessage(string open, string close)
    {
        var text = string.Concat(Enumerable.Repeat(open, 1300)) + "true" + string.Concat(Enumerable.Repeat(close, 1300));

        var error = OnSmallStack(() => Cel.CompileError(text));

        Assert.StartsWith("the condition nests more than 32 levels deep", error);
    }

    [Fact]
    public void TryCompile_ThreeKilobytesOfParentheses_IsRefusedWithAMessage()
    {
        var text = new string('(', 1500) + "true" + new string(')', 1500);

        Assert.StartsWith("the condition nests more than 32 levels deep (line 1, column 33)", OnSmallStack(() => Cel.CompileError(text)));
    }

    [Theory]
    [InlineData("!", 1300)]
    [InlineData("-", 1300)]
    public void TryCompile_LongUnaryChain_IsRefused(string op, int count)
    {
        var text = string.Concat(Enumerable.Repeat(op, count)) + "1 == 1";

        Assert.StartsWith("the condition chains more than 32 unary operators", OnSmallStack(() => Cel.CompileError(text)));
    }

    [Fact]
    public void TryCompile_DeepTernaryChainWithoutBrackets_IsRefusedByTheParsersDepthCounter()
    {
        var text = string.Concat(Enumerable.Repeat("n==1?true:", 300)) + "false";

        Assert.StartsWith("the condition nests more than 64 levels deep", OnSmallStack(() => Cel.CompileError(text)));
    }

    /// <summary>The poison pills: these validated with the old parser, then overflowed the stack when evaluated.</summary>
    [Fact]
    public void TryCompile_MemberChainOfFiftyThousandSelections_IsRefused()
    {
        var text = "data" + string.Concat(Enumerable.Repeat(".a", 50_000)) + " == 1";

        var error = OnSmallStack(() => Cel.CompileError(text));

        Assert.Equal($"the condition is {text.Length} characters long; at most 4096 are allowed (line 1, column 4097)", error);
    }

    [Fact]
    public void TryCompile_SumOfFortyThousandTerms_IsRefused()
    {
        var text = string.Join(" + ", Enumerable.Repeat("1", 40_000)) + " > 0";

        Assert.StartsWith("the condition is ", OnSmallStack(() => Cel.CompileError(text)));
    }

    [Fact]
    public void TryCompile_ChainsWithinTheLengthButDeeperThanTheTree_AreRefused()
    {
        var sum = string.Join("+", Enumerable.Repeat("1", 100)) + " > 0";
        var members = "data" + string.Concat(Enumerable.Repeat(".a", 100)) + " == 1";

        Assert.StartsWith("the condition nests more than 64 operations deep", Cel.CompileError(sum));
        Assert.StartsWith("the condition nests more than 64 operations deep", Cel.CompileError(members));
    }

    [Fact]
    public void TryCompile_LongOrChain_IsBalancedAndAccepted()
    {
        // 200 alternatives would be 200 deep as a left-leaning chain; balanced, they are 10 deep.
        var text = string.Join("||", Enumerable.Range(0, 200).Select(i => $"n=={i}"));

        Assert.Equal("true", Cel.Outcome(text));
    }

    [Fact]
    public void TryCompile_TooManyNodes_IsRefused()
    {
        var text = "[" + string.Join(",", Enumerable.Repeat("1", 1100)) + "].size() > 0";

        Assert.StartsWith("the condition has more than 1024 operands and operators", Cel.CompileError(text));
    }

    [Fact]
    public void Check_BracketsInsideStrings_DoNotCount()
    {
        var text = "name != '" + new string('(', 100) + "' && name != \"[[[[\" && name != r'\\" + new string('{', 40) + "' && name != '\\'" + new string('[', 40) + "'";

        Assert.Equal("true", Cel.Outcome(text));
    }

    private static string? OnSmallStack(Func<string?> work)
    {
        string? result = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        return result;
    }
}
