using System.Net;
using Arbiter.Api.Tests.Admin;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests.Governance;

/// <summary>Approving a review certifies the new reach; suspending one turns the agent off. Its own server.</summary>
public sealed class ReviewApproveTests(GovernanceServer server) : IClassFixture<GovernanceServer>
{
    private readonly HttpClient _client = server.Client;

    [Fact]
    public async Task NewInvokingGroup_Approve_TaskApprovedAndReachBecomesTheBaseline()
    {
        const string agent = "hr-assistant";
        await _client.RunDriftAsync(full: true);
        var (user, group) = await _client.AddInvokingGroupAsync(agent);
        await _client.RunDriftAsync();
        var task = await _client.OpenTaskAsync(agent, group);

        var approve = await _client.SendAsync(HttpMethod.Post, GovernanceApi.Task(task.Text("id")) + "/approve");

        Assert.True(approve.Status == HttpStatusCode.OK, approve.Text);
        Assert.Equal("approved", approve.Json.Text("state"));
        Assert.Equal("approved", (await _client.FetchAsync(GovernanceApi.Task(task.Text("id")))).Json.Text("state"));
        Assert.Empty(await _client.ItemsAsync($"{GovernanceApi.Tasks}?agent={agent}&state=open"));
        var entitlements = (await _client.FetchAsync(GovernanceApi.Entitlements(agent))).Json;
        var baseline = entitlements.GetProperty("baseline");
        Assert.Equal("review", baseline.Text("reason"));
        Assert.Contains(group, baseline.GetProperty("entitlements").GetProperty("invokingGroups").EnumerateArray().Select(g => g.GetString()));
        Assert.Empty(entitlements.GetProperty("diff").GetProperty("addedGroups").EnumerateArray());
        var finding = Assert.Single(await _client.ItemsAsync($"{GovernanceApi.Findings}?agent={agent}"), f => f.Text("subject") == group);
        Assert.Equal("resolved", finding.Text("state"));
        Assert.True((await _client.InvokeAsync(user, agent)).Decision());
        Assert.Equal(HttpStatusCode.Conflict, (await _client.SendAsync(HttpMethod.Post, GovernanceApi.Task(task.Text("id")) + "/approve")).Status);
    }

    [Fact]
    public async Task NewInvokingGroup_Suspend_AgentDeniedForEveryone()
    {
        var agent = await _client.CreateInvokableAgentAsync("alice");
        await _client.RunDriftAsync(full: true);
        var (user, group) = await _client.AddInvokingGroupAsync(agent);
        await _client.RunDriftAsync(full: true);
        var task = await _client.OpenTaskAsync(agent, group);

        var suspend = await _client.SendAsync(HttpMethod.Post, GovernanceApi.Task(task.Text("id")) + "/suspend");

        Assert.True(suspend.Status == HttpStatusCode.OK, suspend.Text);
        Assert.Equal("suspended", suspend.Json.Text("state"));
        Assert.False((await _client.InvokeAsync(user, agent)).Decision());
        Assert.False((await _client.InvokeAsync("alice", agent)).Decision());
        Assert.True((await _client.FetchAsync(AdminApi.Directory("agents", agent))).Json.GetProperty("body").GetProperty("suspended").GetBoolean());
    }

    [Fact]
    public async Task Tasks_BadState_400()
    {
        var reply = await _client.FetchAsync(GovernanceApi.Tasks + "?state=pending");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
    }
}
