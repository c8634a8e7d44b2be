using Arbiter.Cli.Tests.Infrastructure;

namespace Arbiter.Cli.Tests;

public sealed class PolicyCheckTests : IDisposable
{
    private const string ValidPolicy = """
        {"id":"hr-owner","effect":"permit","subjects":{"users":["alice"]},"actions":["tools.call"],
         "condition":"resource.properties.owner == subject.id && context.amount < 10000"}
        """;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Check_ValidPolicy_PrintsOkWithTypeAndExitsZero()
    {
        var file = _folder.Write("policy.json", ValidPolicy);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "check", file);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("hr-owner: condition ok (bool)", run.Output.Trim());
    }

    [Fact]
    public async Task Check_ConditionOfRequestData_ReportsDynType()
    {
        var file = _folder.Write("policy.json", """
            {"id":"flagged","effect":"forbid","subjects":{"users":["alice"]},"actions":["tools.call"],"condition":"context.flagged"}
            """);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "check", file);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("flagged: condition ok (dyn)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_UndeclaredVariable_PrintsFilePointerAndPositionAndExitsOne()
    {
        var file = _folder.Write("policy.json", """
            {"id":"budget","effect":"permit","subjects":{"users":["alice"]},"actions":["tools.call"],
             "condition":"subject.id == 'alice' &&\n  budget > 3"}
            """);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "check", file);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("budget: condition does not compile", run.Output, StringComparison.Ordinal);
        Assert.Contains("policy.json#/condition: ", run.Output, StringComparison.Ordinal);
        Assert.Contains("undeclared reference to 'budget' (line 2, column 3)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_DuplicateMember_NamesItsPointerAndExitsOne()
    {
        var file = _folder.Write("policy.json", """
            {"id":"twice","effect":"forbid","effect":"permit","subjects":{"users":["alice"]},"actions":["tools.call"]}
            """);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "check", file);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("policy.json#/effect: the member 'effect' appears more than once", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_MissingFile_OneLineWithoutStackTraceAndExitsTwo()
    {
        var run = await CliProcess.RunAsync(_folder.Path, "policy", "check", "missing.json");

        Assert.Equal(2, run.ExitCode);
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
        var line = Assert.Single(run.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("cannot read missing.json: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_TenantFile_ChecksEachPolicyAtItsPointer()
    {
        var file = _folder.Write("tenant.json", $$"""
            {"format":"arbiter-tenant/1","policies":[
              {{ValidPolicy}},
              {"id":"typo","effect":"permit","subjects":{"users":["alice"]},"actions":["tools.call"],"condition":"subject.id < 3"}
            ]}
            """);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "check", file);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("hr-owner: condition ok (bool)", run.Output, StringComparison.Ordinal);
        Assert.Contains("typo: condition does not compile", run.Output, StringComparison.Ordinal);
        Assert.Contains("tenant.json#/policies/1/condition: ", run.Output, StringComparison.Ordinal);
        Assert.Contains("no matching overload for '<' applied to (string, int) (line 1, column 12)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_Directory_ChecksEveryJsonFile()
    {
        _folder.Write("policies/a.json", ValidPolicy);
        _folder.Write("policies/nested/b.json", """
            {"id":"plain","effect":"permit","agents":{"ids":["a1"]},"actions":["tools.list"]}
            """);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "check", "policies");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("hr-owner: condition ok (bool)", run.Output, StringComparison.Ordinal);
        Assert.Contains("plain: no condition", run.Output, StringComparison.Ordinal);
        Assert.Contains("2 policy document(s) checked, 0 with problems", run.Errors, StringComparison.Ordinal);
    }
}
