using System.Net;
using Arbiter.Api.Tests.Admin;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests.Governance;

/// <summary>Drift runs over the demo tenant, findings and entitlements through the self-hosted server.</summary>
public sealed class DriftTests(GovernanceServer server) : IClassFixture<GovernanceServer>
{
    private static readonly string[] DemoAgents = ["hr-assistant", "general-assistant", "recon-agent", "legacy-bot"];
    private readonly HttpClient _client = server.Client;

    /// <summary>
    /// The first run certifies each agent as it is, so there is no reach drift; and a fresh tenant's agents, never seen
    /// in the decision log, are not "unused" (unknown activity is not idleness).
    /// </summary>
    [Fact]
    public async Task DriftRunFull_DemoTenant_NoDriftAndNoUnusedFindings()
    {
        var run = await _client.RunDriftAsync(full: true);

        Assert.Equal("demo", run.Text("tenantId"));
        Assert.True(run.GetProperty("full").GetBoolean());
        Assert.Subset(run.GetProperty("agentsRecomputed").EnumerateArray().Select(a => a.GetString()).ToHashSet(), DemoAgents.ToHashSet<string?>());
        var findings = await _client.ItemsAsync(GovernanceApi.Findings);
        Assert.DoesNotContain(findings, f => DemoAgents.Contains(f.Text("agentId")) && f.Text("kind") == "unused");
        Assert.DoesNotContain(findings, f => DemoAgents.Contains(f.Text("agentId")) && f.Text("kind") is "newTool" or "newServer" or "newData" or "newInvokingGroup");
        Assert.DoesNotContain(await _client.ItemsAsync(GovernanceApi.Tasks + "?state=open"), t => DemoAgents.Contains(t.Text("agentId")));
    }

    [Fact]
    public async Task Findings_FilteredByAgentAndSeverity_OnlyMatching()
    {
        // Its own agent, so the drift it makes is seen by no other test sharing this server.
        var agent = AdminApi.NewId("agent");
        Assert.Equal(HttpStatusCode.Created, (await _client.SendAsync(HttpMethod.Put, AdminApi.Directory("agents", agent),
            new { displayName = "Filter test agent", enabled = true, suspended = false, owner = "erin", sponsors = new[] { "erin" }, tags = new[] { "assistant" } })).Status);
        await _client.RunDriftAsync(full: true); // certifies the new agent as it is
        await _client.AddInvokingGroupAsync(agent); // a medium finding for this agent
        await _client.RunDriftAsync();

        var forAgent = await _client.ItemsAsync($"{GovernanceApi.Findings}?agent={agent}");
        var high = await _client.ItemsAsync($"{GovernanceApi.Findings}?agent={agent}&severity=high");

        Assert.Contains(forAgent, f => f.Text("kind") == "newInvokingGroup");
        Assert.All(forAgent, f => Assert.Equal(agent, f.Text("agentId")));
        Assert.DoesNotContain(high, f => f.Text("kind") == "newInvokingGroup");
    }

    [Theory]
    [InlineData("?state=closed")]
    [InlineData("?severity=huge")]
    [InlineData("?limit=0")]
    public async Task Findings_BadQuery_400(string query)
    {
        var reply = await _client.FetchAsync(GovernanceApi.Findings + query);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    [Fact]
    public async Task Entitlements_DemoAgentAfterRun_CurrentBaselineAndEmptyDiff()
    {
        await _client.RunDriftAsync(full: true);

        var reply = await _client.FetchAsync(GovernanceApi.Entitlements("hr-assistant"));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var json = reply.Json;
        var current = json.GetProperty("current");
        Assert.Equal("hr-assistant", current.Text("agentId"));
        Assert.Contains("hr-lookup", current.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains("hr", current.GetProperty("invokingGroups").EnumerateArray().Select(g => g.GetString()));
        var baseline = json.GetProperty("baseline");
        Assert.Equal("hr-assistant", baseline.Text("agentId"));
        Assert.Equal("registration", baseline.Text("reason"));
        Assert.Equal(current.GetProperty("tools").GetRawText(), baseline.GetProperty("entitlements").GetProperty("tools").GetRawText());
        Assert.Empty(json.GetProperty("diff").GetProperty("addedTools").EnumerateArray());
    }

    [Fact]
    public async Task Entitlements_UnknownAgent_404()
    {
        var reply = await _client.FetchAsync(GovernanceApi.Entitlements(AdminApi.NewId("missing")));

        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    [Fact]
    public async Task CertifyAgent_NewAgent_BaselineRecordedByAdmin()
    {
        var agent = await _client.CreateInvokableAgentAsync("alice");

        var reply = await _client.SendAsync(HttpMethod.Post, GovernanceApi.Baseline(agent));

        Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
        Assert.Equal(agent, reply.Json.Text("agentId"));
        Assert.Equal("admin", reply.Json.Text("reason"));
        var entitlements = (await _client.FetchAsync(GovernanceApi.Entitlements(agent))).Json;
        Assert.Equal("admin", entitlements.GetProperty("baseline").Text("reason"));
    }

    [Fact]
    public async Task Task_Unknown_404()
    {
        var id = AdminApi.NewId("task");

        Assert.Equal(HttpStatusCode.NotFound, (await _client.FetchAsync(GovernanceApi.Task(id))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.SendAsync(HttpMethod.Post, GovernanceApi.Task(id) + "/approve")).Status);
    }
}
