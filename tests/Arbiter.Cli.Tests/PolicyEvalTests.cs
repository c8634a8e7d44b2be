using Arbiter.Cli.Tests.Infrastructure;

namespace Arbiter.Cli.Tests;

public sealed class PolicyEvalTests : IDisposable
{
    private const string Request = """
        {"subject":{"type":"user","id":"alice"},
         "action":{"name":"tools.call"},
         "resource":{"type":"tool","id":"hr-lookup","properties":{"owner":"alice"}},
         "context":{"agent":{"type":"agent","id":"hr-assistant"},"amount":50}}
        """;

    private const string Tenant = """
        {"format":"arbiter-tenant/1",
         "users":[{"id":"alice","enabled":true,"attributes":{"department":"HR"}}],
         "agents":[{"id":"hr-assistant","enabled":true,"owner":"frank","tags":["hr"]}],
         "mcpServers":[{"id":"hr-mcp","sensitivity":"confidential","tags":["hr"]}],
         "tools":[{"id":"hr-lookup","server":"hr-mcp","sensitivity":"confidential","tags":["pii"]}]}
        """;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private Task<CliProcess.Run> EvalAsync(string condition, params string[] more) =>
        CliProcess.RunAsync(_folder.Path, ["policy", "eval", "--condition", condition, "--request", _folder.Write("request.json", Request), .. more]);

    [Fact]
    public async Task Eval_RequestSuppliedProperties_PrintsTrueAndExitsZero()
    {
        var run = await EvalAsync("resource.properties.owner == subject.id && context.amount < 10000");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("true", run.Output.Trim());
        Assert.Matches(@"\d+ step\(s\) of 50000", run.Errors);
    }

    [Fact]
    public async Task Eval_ConditionDoesNotHold_PrintsFalseAndExitsOne()
    {
        var run = await EvalAsync("context.amount < 10");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("false", run.Output.Trim());
    }

    [Fact]
    public async Task Eval_MissingKey_PrintsCelErrorAndExitsTwo()
    {
        var run = await EvalAsync("context.total < 10");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: no such key: 'total'", run.Output.Trim());
    }

    [Fact]
    public async Task Eval_UndeclaredVariable_PrintsPositionAndExitsTwo()
    {
        var run = await EvalAsync("subject.id == 'alice' && budget > 3");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("undeclared reference to 'budget' (line 1, column 26)", run.Errors, StringComparison.Ordinal);
        Assert.Equal("", run.Output);
    }

    [Fact]
    public async Task Eval_RegisteredFactsFromTenantFile_SeesThem()
    {
        const string condition = "subject.attributes.department == 'HR' && agent.owner == 'frank' && resource.sensitivity == 'confidential' && 'pii' in resource.tags";

        var run = await EvalAsync(condition, "--tenant", _folder.Write("tenant.json", Tenant));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("true", run.Output.Trim());
        Assert.DoesNotContain("not registered", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_WithoutTenantFile_SeesRequestOnlyAndSaysSo()
    {
        var run = await EvalAsync("agent.owner == 'frank'");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("false", run.Output.Trim());
        Assert.Contains("agent 'hr-assistant' is not registered", run.Errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2025-06-01T00:00:00Z", 0, "true")]
    [InlineData("2026-06-01T00:00:00Z", 1, "false")]
    public async Task Eval_NowOption_IsTheValueOfNow(string now, int exitCode, string printed)
    {
        var run = await EvalAsync("now < timestamp('2026-01-01T00:00:00Z')", "--now", now);

        Assert.Equal(exitCode, run.ExitCode);
        Assert.Equal(printed, run.Output.Trim());
    }

    [Fact]
    public async Task Eval_NowNotATimestamp_NamesTheOptionAndExitsTwo()
    {
        var run = await EvalAsync("true", "--now", "yesterday");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("--now: 'yesterday' is not an ISO 8601 timestamp", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_RequestMissingAction_NamesThePointerAndExitsTwo()
    {
        var request = _folder.Write("bad-request.json", """{"subject":{"type":"user","id":"alice"},"resource":{"type":"tool","id":"t"}}""");

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "eval", "--condition", "true", "--request", request);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("bad-request.json#/action", run.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
    }
}
