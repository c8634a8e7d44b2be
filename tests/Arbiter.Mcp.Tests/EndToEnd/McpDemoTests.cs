using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Mcp.Tests.Infrastructure;
using Arbiter.Samples.DevIssuer;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Arbiter.Mcp.Tests.EndToEnd;

/// <summary>
/// The seed's demo through MCP, each step an assertion: the official MCP client → the sample HR server with
/// Arbiter.Mcp → the self-hosted Arbiter on the demo tenant. Every test starts its own servers (a suspended agent or a
/// stopped Arbiter never leaks into another test).
/// </summary>
public sealed class McpDemoTests
{
    private static readonly Dictionary<string, object?> Everyone = new() { ["name"] = "" };

    [Fact]
    public async Task ListTools_AliceThroughHrAssistant_SeesHrToolsNotSql()
    {
        await using var demo = await DemoEnvironment.StartAsync();
        var alice = await demo.ConnectAsync("alice", "hr-assistant");

        var tools = await alice.ListToolsAsync();

        Assert.Equal(["docs-search", "hr-lookup", "hr-policies"], tools.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ListTools_BobThroughGeneralAssistant_SeesNoHrTools()
    {
        await using var demo = await DemoEnvironment.StartAsync();
        var bob = await demo.ConnectAsync("bob", "general-assistant");

        var tools = await bob.ListToolsAsync();

        Assert.Equal(["docs-search"], tools.Select(t => t.Name));
    }

    [Fact]
    public async Task CallTool_BobRunsSql_DeniedWithPolicyReasonAndDecisionId()
    {
        await using var demo = await DemoEnvironment.StartAsync();
        var bob = await demo.ConnectAsync("bob", "general-assistant", requestId: "bob-sql-1");

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => bob.CallToolAsync("sql-query", new Dictionary<string, object?> { ["sql"] = "SELECT name, salary FROM employees" }).AsTask());

        Assert.Equal(-32003, (int)error.ErrorCode);
        Assert.Equal("This action is blocked by your organisation's policy.", error.Data["reason"]);
        var decisionId = Assert.IsType<string>(error.Data["decision_id"]);
        var recorded = Assert.Single(demo.Decisions.Records, r => r.Decision.DecisionId == decisionId);
        Assert.False(recorded.Decision.Allowed);
        Assert.Equal("sql-query", recorded.Request.Resource.Id);
        Assert.Equal("bob-sql-1", recorded.RequestId);
        Assert.Contains("no-raw-sql-for-assistants", recorded.Decision.MatchedPolicies);
    }

    [Fact]
    public async Task CallTool_AliceLooksUpEmployees_RowFiltersAppliedAndPayRedacted()
    {
        await using var demo = await DemoEnvironment.StartAsync();
        var alice = await demo.ConnectAsync("alice", "hr-assistant");

        var result = await alice.CallToolAsync("hr-lookup", Everyone);

        Assert.NotEqual(true, result.IsError);
        var structured = result.StructuredContent!.Value;
        var employees = structured.GetProperty("employees").EnumerateArray().ToList();
        // Active only (Priya left) and below executive grade (Morgan is E2): both of Arbiter's row filters applied.
        Assert.Equal(["E-1001", "E-1002", "E-1005"], employees.Select(e => e.GetProperty("id").GetString()));
        Assert.All(employees, e =>
        {
            Assert.False(e.TryGetProperty("salary", out _));
            Assert.False(e.TryGetProperty("nationalId", out _));
            Assert.True(e.TryGetProperty("name", out _));
        });
        Assert.Equal(["employment_status = 'active'", "grade < 'E1'"], structured.GetProperty("appliedRowFilters").EnumerateArray().Select(f => f.GetString()).Order(StringComparer.Ordinal));
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.DoesNotContain("salary", text, StringComparison.Ordinal);
        Assert.DoesNotContain("85000", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallTool_AliceLookup_DecisionsCarryRequestIdToolAndServer()
    {
        await using var demo = await DemoEnvironment.StartAsync();
        var alice = await demo.ConnectAsync("alice", "hr-assistant", requestId: "e2e-req-7");

        await alice.CallToolAsync("hr-lookup", new Dictionary<string, object?> { ["name"] = "Dana" });

        var mine = demo.Decisions.Records.Where(r => r.RequestId == "e2e-req-7").ToList();
        var call = Assert.Single(mine, r => r.Request.Action == "tools/call");
        Assert.Equal("hr-lookup", call.Request.Resource.Id);
        Assert.Equal("hr-mcp", call.Request.Resource.Properties.GetProperty("server").GetString());
        Assert.Equal("hr-assistant", call.Request.AgentId);
        Assert.Equal("alice", call.Request.Subject.Id);
        Assert.Contains(mine, r => r.Request.Action == "data.read" && r.Request.Resource.Id == "employees");
        Assert.Contains(mine, r => r.Request.Action == "response.expose" && r.Request.Resource.Id == "employee-record");
        Assert.All(mine, r => Assert.True(r.Decision.Allowed));
    }

    [Fact]
    public async Task KillSwitch_HrAssistantSuspended_NextCallDeniedAndResumeRestores()
    {
        await using var demo = await DemoEnvironment.StartAsync();
        var alice = await demo.ConnectAsync("alice", "hr-assistant");
        Assert.NotEqual(true, (await alice.CallToolAsync("hr-lookup", Everyone)).IsError);

        await demo.SetSuspendedAsync("hr-assistant", suspended: true);
        var error = await Assert.ThrowsAsync<McpProtocolException>(() => alice.CallToolAsync("hr-lookup", Everyone).AsTask());
        await demo.SetSuspendedAsync("hr-assistant", suspended: false);
        var restored = await alice.CallToolAsync("hr-lookup", Everyone);

        Assert.Equal(-32003, (int)error.ErrorCode);
        var decisionId = Assert.IsType<string>(error.Data["decision_id"]);
        Assert.Contains("suspended", Assert.Single(demo.Decisions.Records, r => r.Decision.DecisionId == decisionId).Decision.ReasonAdmin, StringComparison.Ordinal);
        Assert.NotEqual(true, restored.IsError);
    }

    [Fact]
    public async Task KillSwitch_CacheOn_DeniedOnceTheCachedAnswerExpires()
    {
        await using var demo = await DemoEnvironment.StartAsync(cacheLifetime: TimeSpan.FromSeconds(1));
        var alice = await demo.ConnectAsync("alice", "hr-assistant");
        var search = new Dictionary<string, object?> { ["query"] = "security" };
        await alice.CallToolAsync("docs-search", search);

        await demo.SetSuspendedAsync("hr-assistant", suspended: true);
        var cached = await alice.CallToolAsync("docs-search", search);
        demo.CacheClock.Advance(TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<McpProtocolException>(() => alice.CallToolAsync("docs-search", search).AsTask());

        // The cached permit was reused without asking (bounded staleness), and the first call past one second was denied.
        Assert.NotEqual(true, cached.IsError);
        Assert.Equal(-32003, (int)error.ErrorCode);
        Assert.Equal(2, demo.Decisions.Records.Count(r => r.Request.Action == "tools/call" && r.Request.Resource.Id == "docs-search"));
    }

    [Fact]
    public async Task CallTool_ArbiterStoppedMidSession_FailsClosedWithInternalError()
    {
        await using var demo = await DemoEnvironment.StartAsync();
        var alice = await demo.ConnectAsync("alice", "hr-assistant");
        Assert.NotEqual(true, (await alice.CallToolAsync("docs-search", new Dictionary<string, object?> { ["query"] = "travel" })).IsError);

        await demo.StopArbiterAsync();
        var call = await Assert.ThrowsAsync<McpProtocolException>(() => alice.CallToolAsync("docs-search", new Dictionary<string, object?> { ["query"] = "travel" }).AsTask());
        var list = await Assert.ThrowsAsync<McpProtocolException>(() => alice.ListToolsAsync().AsTask());

        Assert.Equal(McpErrorCode.InternalError, call.ErrorCode);
        Assert.Equal(McpErrorCode.InternalError, list.ErrorCode);
    }

    [Fact]
    public async Task CallTool_PolicyAddsUnknownObligation_Denied()
    {
        await using var demo = await DemoEnvironment.StartAsync();
        var alice = await demo.ConnectAsync("alice", "hr-assistant");
        Assert.NotEqual(true, (await alice.CallToolAsync("docs-search", new Dictionary<string, object?> { ["query"] = "travel" })).IsError);
        await demo.CreatePolicyAsync(JsonNode.Parse("""
            {
              "id": "docs-watermarked-for-hr-assistant",
              "description": "Test: docs through the HR assistant carry a watermark obligation no enforcement point knows.",
              "effect": "permit", "actions": ["tools/call"],
              "agents": { "ids": ["hr-assistant"] }, "resources": { "ids": ["docs-search"] },
              "obligations": [ { "id": "watermark", "type": "watermark", "properties": { "text": "internal" } } ]
            }
            """)!.AsObject());

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => alice.CallToolAsync("docs-search", new Dictionary<string, object?> { ["query"] = "travel" }).AsTask());

        Assert.Equal(-32003, (int)error.ErrorCode);
        var decisionId = Assert.IsType<string>(error.Data["decision_id"]);
        var recorded = Assert.Single(demo.Decisions.Records, r => r.Decision.DecisionId == decisionId);
        Assert.True(recorded.Decision.Allowed); // Arbiter permitted; the enforcement point could not honour the obligation
        Assert.Contains(recorded.Decision.Obligations, o => o.Type == "watermark");
    }

    [Fact]
    public async Task ListTools_TokenWithoutAgentClaims_RefusedWithoutAsking()
    {
        await using var demo = await DemoEnvironment.StartAsync();
        var client = await demo.ConnectWithTokenAsync(demo.Issuer.Mint(DevIssuer.DefaultAudience, new Dictionary<string, object> { ["oid"] = "alice", ["sub"] = "alice", ["scp"] = "mcp.tools" }));

        var list = await Assert.ThrowsAsync<McpProtocolException>(() => client.ListToolsAsync().AsTask());
        var call = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("docs-search", new Dictionary<string, object?> { ["query"] = "x" }).AsTask());

        Assert.Equal(-32003, (int)list.ErrorCode);
        Assert.Contains("names no agent", list.Message, StringComparison.Ordinal);
        Assert.Equal(-32003, (int)call.ErrorCode);
        Assert.Empty(demo.Decisions.Records);
    }

    [Fact]
    public async Task Connect_TokenFromAnotherIssuer_RejectedByTheServer()
    {
        await using var demo = await DemoEnvironment.StartAsync();
        await using var stranger = await DevIssuer.StartAsync(new Uri("http://127.0.0.1:0"));

        await Assert.ThrowsAnyAsync<Exception>(() => demo.ConnectWithTokenAsync(stranger.MintDelegated("alice", "hr-assistant")));

        Assert.Empty(demo.Decisions.Records);
    }
}
