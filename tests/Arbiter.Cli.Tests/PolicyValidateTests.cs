using Arbiter.Cli.Tests.Infrastructure;

namespace Arbiter.Cli.Tests;

public sealed class PolicyValidateTests : IDisposable
{
    private const string ValidPolicy = """
        {"id":"hr-owner","effect":"permit","subjects":{"users":["alice"]},"actions":["tools/call"],
         "condition":"resource.properties.owner == subject.id && context.amount < 10000"}
        """;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Validate_ValidPolicy_PrintsOkWithTypeAndExitsZero()
    {
        var file = _folder.Write("policy.json", ValidPolicy);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "validate", file);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("hr-owner: condition ok (bool)", run.Output.Trim());
    }

    [Fact]
    public async Task Validate_ConditionOfRequestData_ReportsDynType()
    {
        var file = _folder.Write("policy.json", """
            {"id":"flagged","effect":"forbid","subjects":{"users":["alice"]},"actions":["tools/call"],"condition":"context.flagged"}
            """);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "validate", file);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("flagged: condition ok (dyn)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_UndeclaredVariable_PrintsFilePointerAndPositionAndExitsOne()
    {
        var file = _folder.Write("policy.json", """
            {"id":"budget","effect":"permit","subjects":{"users":["alice"]},"actions":["tools/call"],
             "condition":"subject.id == 'alice' &&\n  budget > 3"}
            """);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "validate", file);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("budget: condition does not compile", run.Output, StringComparison.Ordinal);
        Assert.Contains("policy.json#/condition: ", run.Output, StringComparison.Ordinal);
        Assert.Contains("undeclared reference to 'budget' (line 2, column 3)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_DuplicateMember_NamesItsPointerAndExitsOne()
    {
        var file = _folder.Write("policy.json", """
            {"id":"twice","effect":"forbid","effect":"permit","subjects":{"users":["alice"]},"actions":["tools/call"]}
            """);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "validate", file);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("policy.json#/effect: the member 'effect' appears more than once", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_MissingFile_OneLineWithoutStackTraceAndExitsTwo()
    {
        var run = await CliProcess.RunAsync(_folder.Path, "policy", "validate", "missing.json");

        Assert.Equal(2, run.ExitCode);
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
        var line = Assert.Single(run.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("cannot read missing.json: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_TenantFile_ChecksEachPolicyAtItsPointer()
    {
        var file = _folder.Write("tenant.json", $$"""
            {"format":"arbiter-tenant/1","policies":[
              {{ValidPolicy}},
              {"id":"typo","effect":"permit","subjects":{"users":["alice"]},"actions":["tools/call"],"condition":"subject.id < 3"}
            ]}
            """);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "validate", file);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("hr-owner: condition ok (bool)", run.Output, StringComparison.Ordinal);
        Assert.Contains("typo: condition does not compile", run.Output, StringComparison.Ordinal);
        Assert.Contains("tenant.json#/policies/1/condition: ", run.Output, StringComparison.Ordinal);
        Assert.Contains("no matching overload for '<' applied to (string, int) (line 1, column 12)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_Directory_ChecksEveryJsonFile()
    {
        _folder.Write("policies/a.json", ValidPolicy);
        _folder.Write("policies/nested/b.json", """
            {"id":"plain","effect":"permit","agents":{"ids":["a1"]},"actions":["tools/list"]}
            """);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "check", "policies");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("hr-owner: condition ok (bool)", run.Output, StringComparison.Ordinal);
        Assert.Contains("plain: no condition", run.Output, StringComparison.Ordinal);
        Assert.Contains("2 policy document(s) checked, 0 with problems, 0 warning(s)", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ReferencesThatMatchNothing_WarnsWithPointerAndSuggestionAndExitsZero()
    {
        var tenant = _folder.Write("tenant.json", """
            {"format":"arbiter-tenant/1","groups":[{"id":"it-ops"}],"agents":[{"id":"general-assistant"}],"users":[{"id":"alice"}]}
            """);
        var file = _folder.Write("policy.json", """
            {"id":"ops","effect":"permit","subjects":{"groups":["itops"]},"agents":{"ids":["general-asistant"]},"actions":["tool/call"]}
            """);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "validate", file, "--tenant", tenant);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("ops: no condition; 3 warning(s)", run.Output, StringComparison.Ordinal);
        Assert.Contains("policy.json#/actions/0: warning: no checkpoint uses the action 'tool/call'", run.Output, StringComparison.Ordinal);
        Assert.Contains("did you mean 'tools/call'?", run.Output, StringComparison.Ordinal);
        Assert.Contains("policy.json#/subjects/groups/0: warning: no group 'itops' in the directory; did you mean 'it-ops'?", run.Output, StringComparison.Ordinal);
        Assert.Contains("policy.json#/agents/ids/0: warning: no agent 'general-asistant' in the directory; did you mean 'general-assistant'?", run.Output, StringComparison.Ordinal);
        Assert.Contains("1 policy document(s) checked, 0 with problems, 3 warning(s)", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_WarningsAsErrors_ExitsOne()
    {
        var file = _folder.Write("policy.json", """
            {"id":"custom","effect":"permit","agents":{"ids":["a1"]},"actions":["payments.refund"]}
            """);

        var plain = await CliProcess.RunAsync(_folder.Path, "policy", "validate", file);
        var strict = await CliProcess.RunAsync(_folder.Path, "policy", "validate", file, "--warnings-as-errors");
        var declared = await CliProcess.RunAsync(_folder.Path, "policy", "validate", file, "--warnings-as-errors", "--action", "payments.refund");

        Assert.Equal(0, plain.ExitCode);
        Assert.Equal(1, strict.ExitCode);
        Assert.Equal(0, declared.ExitCode);
        Assert.Equal("custom: no condition", declared.Output.Trim());
    }

    [Fact]
    public async Task Validate_PermitCoveredByUnconditionalForbid_WarnsShadowed()
    {
        _folder.Write("policies/permit.json", """
            {"id":"hr-read","effect":"permit","subjects":{"users":["alice"]},"agents":{"ids":["hr-agent"]},"actions":["data.read"],"resources":{"types":["table"],"ids":["payroll"]}}
            """);
        _folder.Write("policies/forbid.json", """
            {"id":"no-payroll","effect":"forbid","agents":{"any":true},"actions":["data.read","tools/call"],"resources":{"ids":["payroll","salaries"]}}
            """);
        _folder.Write("policies/conditional.json", """
            {"id":"night","effect":"forbid","agents":{"any":true},"actions":["tools/call"],"condition":"context.hour > 20"}
            """);
        _folder.Write("policies/other.json", """
            {"id":"tools","effect":"permit","agents":{"ids":["hr-agent"]},"actions":["tools/call"]}
            """);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "validate", "policies");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("policies/permit.json#: warning: shadowed: the forbid 'no-payroll'", run.Output, StringComparison.Ordinal);
        Assert.Contains("tools: no condition" + Environment.NewLine, run.Output, StringComparison.Ordinal);
        Assert.Contains("1 warning(s)", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SchemaMember_IsAccepted()
    {
        var file = _folder.Write("policy.json", """
            {"$schema":"../schemas/policy.schema.json","id":"with-schema","effect":"permit","agents":{"ids":["a1"]},"actions":["tools/list"]}
            """);

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "validate", file);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("with-schema: no condition", run.Output.Trim());
    }
}
