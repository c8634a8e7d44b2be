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
    /// A fresh demo tenant has no decisions in the log, so every demo agent is flagged unused (low: no review); the
    /// first run certifies each agent as it is, so there is no reach drift.
    /// </summary>
    [Fact]
    public async Task DriftRunFull_DemoTenant_FindingsForEveryDemoAgent()
    {
        var run = await _client.RunDriftAsync(full: true);

        Assert.Equal("demo", run.Text("tenantId"));
        Assert.True(run.GetProperty("full").GetBoolean());
        Assert.Subset(run.GetProperty("agentsRecomputed").EnumerateArray().Select(a => a.GetString()).ToHashSet(), DemoAgents.ToHashSet<string?>());
        var findings = await _client.ItemsAsync(GovernanceApi.Findings);
        foreach (var agent in DemoAgents)
        {
            var unused = Assert.Single(findings, f => f.Text("agentId") == agent && f.Text("kind") == "unused");
            Assert.Equal("low", unused.Text("severity"));
            Assert.Equal("open", unused.Text("state"));
        }
        Assert.DoesNotContain(findings, f => DemoAgents.Contains(f.Text("agentId")) && f.Text("kind") is "newTool" or "newServer" or "newData" or "newInvokingGroup");
        Assert.DoesNotContain(await _client.ItemsAsync(GovernanceApi.Tasks + "?state=open"), t => DemoAgents.Contains(t.Text("agentId")));
    }

    [Fact]
    public async Task Findings_FilteredByAgentAndSeverity_OnlyMatching()
    {
        await _client.RunDriftAsync(full: true);

        var forAgent = await _client.ItemsAsync($"{GovernanceApi.Findings}?agent=general-assistant");
        var high = await _client.ItemsAsync($"{GovernanceApi.Findings}?agent=general-assistant&severity=high");

        Assert.NotEmpty(forAgent);
        Assert.All(forAgent, f => Assert.Equal("general-assistant", f.Text("agentId")));
        Assert.DoesNotContain(high, f => f.Text("kind") == "unused");
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
