using Arbiter.Cli.Tests.Infrastructure;

namespace Arbiter.Cli.Tests;

public sealed class PolicyTestTests : IDisposable
{
    private const string Tenant = """
        {"format":"arbiter-tenant/1",
         "users":[{"id":"alice"},{"id":"bob"}],
         "groups":[{"id":"hr","memberUsers":["alice"]}],
         "agents":[{"id":"hr-agent","tags":["hr"]}],
         "dataResources":[{"id":"employees","type":"dataset","classification":"confidential"}],
         "policies":[
           {"id":"hr-uses-agent","effect":"permit","subjects":{"groups":["hr"]},"agents":{"ids":["hr-agent"]},"actions":["agent.invoke"]},
           {"id":"hr-reads","effect":"permit","subjects":{"groups":["hr"]},"actions":["data.read"],"resources":{"ids":["employees"]},
            "obligations":[{"id":"active-only","type":"rowFilter","properties":{"filter":"active"}}]},
           {"id":"agent-reads","effect":"permit","agents":{"ids":["hr-agent"]},"actions":["data.read"],"resources":{"ids":["employees"]},"notAfter":"2027-01-01T00:00:00Z"}
         ]}
        """;

    private const string AliceReads = """
        {"subject":{"type":"user","id":"alice"},"action":{"name":"data.read"},"resource":{"type":"dataset","id":"employees"},
         "context":{"agent":{"type":"agent","id":"hr-agent"}}}
        """;

    private readonly TempFolder _folder = new();

    public PolicyTestTests() => _folder.Write("policies/tenant.json", Tenant);

    public void Dispose() => _folder.Dispose();

    private string TestFile(string cases, string extra = "") =>
        _folder.Write("policies/hr.test.json", $$"""{"format":"arbiter-policy-test/1","now":"2026-12-01T09:00:00Z"{{extra}},"cases":[{{cases}}]}""");

    [Fact]
    public async Task Test_PassingCases_PrintsPassAndExitsZero()
    {
        const string Bob = """
            {"subject":{"type":"user","id":"bob"},"action":{"name":"data.read"},"resource":{"type":"dataset","id":"employees"},"context":{"agent":{"type":"agent","id":"hr-agent"}}}
            """;
        const string AliceExpect = """
            {"decision":true,"policies":["agent-reads","hr-reads","hr-uses-agent"],"obligations":[{"id":"active-only","type":"rowFilter","properties":{"filter":"active"}}]}
            """;
        TestFile($"{{\"name\":\"alice reads\",\"request\":{AliceReads},\"expect\":{AliceExpect}}},{{\"name\":\"bob does not\",\"request\":{Bob},\"expect\":{{\"decision\":false}}}}");

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "test", "policies");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("PASS hr.test.json#/cases/0 \"alice reads\"", run.Output, StringComparison.Ordinal);
        Assert.Contains("PASS hr.test.json#/cases/1 \"bob does not\"", run.Output, StringComparison.Ordinal);
        Assert.Contains("2 case(s) in 1 file(s): 2 passed, 0 failed", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_WrongExpectation_PrintsDiffAndExplanationAndExitsOne()
    {
        TestFile($$$"""{"name":"alice denied?","request":{{{AliceReads}}},"expect":{"decision":false,"policies":["hr-reads"]}}""");

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "test", "policies");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("FAIL hr.test.json#/cases/0 \"alice denied?\"", run.Output, StringComparison.Ordinal);
        Assert.Contains("decision     expected deny, actual permit", run.Output, StringComparison.Ordinal);
        Assert.Contains("policies     expected [\"hr-reads\"], actual [\"agent-reads\", \"hr-reads\", \"hr-uses-agent\"]", run.Output, StringComparison.Ordinal);
        Assert.Contains("explanation  permit in principal mode at 2026-12-01 09:00:00Z", run.Output, StringComparison.Ordinal);
        Assert.Contains("1 case(s) in 1 file(s): 0 passed, 1 failed", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_CaseTime_DecidesAtThatTime()
    {
        TestFile($$$"""{"name":"after the grant ends","now":"2027-02-01T00:00:00Z","request":{{{AliceReads}}},"expect":{"decision":true}}""");

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "test", "policies");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("decision     expected permit, actual deny", run.Output, StringComparison.Ordinal);
        Assert.Contains("at 2027-02-01 00:00:00Z", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_ObligationMismatch_NamesTheObligation()
    {
        TestFile($$$"""{"request":{{{AliceReads}}},"expect":{"decision":true,"obligations":[{"id":"active-only","properties":{"filter":"all"}}]}}""");

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "test", "policies");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("obligations  'active-only' expected properties {\"filter\":\"all\"}, actual {\"filter\":\"active\"}", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_FixturesAddDirectoryDocuments()
    {
        TestFile("""
            {"name":"carol joins hr in the fixtures","request":{"subject":{"type":"user","id":"carol"},"action":{"name":"data.read"},"resource":{"type":"dataset","id":"employees"},"context":{"agent":{"type":"agent","id":"hr-agent"}}},"expect":{"decision":true}}
            """, extra: ""","fixtures":{"users":[{"id":"carol"}],"groups":[{"id":"hr","memberUsers":["alice","carol"]}]}""");

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "test", "policies");

        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public async Task Test_CaseWithoutDecision_NamesItsPointerAndExitsOne()
    {
        TestFile($$$"""{"request":{{{AliceReads}}},"expect":{"policies":[]}}""");

        var run = await CliProcess.RunAsync(_folder.Path, "policy", "test", "policies");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("/cases/0/expect/decision: 'decision' is required: true or false", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_NoTestFiles_OneLineAndExitsTwo()
    {
        var run = await CliProcess.RunAsync(_folder.Path, "policy", "test", "nowhere");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("cannot read nowhere: no such file or directory", run.Errors.Trim());
    }

    [Fact]
    public async Task Test_ShippedDemoTests_Pass()
    {
        var run = await CliProcess.RunAsync(RepoFiles.Root, "policy", "test", "infra/seed");

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("0 failed", run.Errors, StringComparison.Ordinal);
    }
}
