using System.Net;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests.Admin;

/// <summary>What-if: the current and a proposed policy set side by side; nothing is saved.</summary>
public sealed class WhatIfTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private readonly HttpClient _client = server.Client;

    [Fact]
    public async Task WhatIf_RemovePolicy_AffectedRequestsChangedAndNothingSaved()
    {
        var agent = AdminApi.NewId("agent");
        Assert.Equal(HttpStatusCode.Created, (await _client.SendAsync(HttpMethod.Put, AdminApi.Directory("agents", agent), AdminApi.Agent())).Status);
        var policy = AdminApi.NewId("p");
        Assert.Equal(HttpStatusCode.Created, (await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(policy, agent, "alice"))).Status);
        var request = new
        {
            remove = new[] { policy },
            evaluations = new[]
            {
                Pdp.Request("alice", "agent.invoke", "agent", agent),
                Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"),
                Pdp.Request("bob", "agent.invoke", "agent", agent),
            },
        };

        var reply = await _client.SendAsync(HttpMethod.Post, AdminApi.WhatIf, request);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var json = reply.Json;
        Assert.Equal(1, json.GetProperty("changed").GetInt32());
        var results = json.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal([true, false, false], results.Select(r => r.GetProperty("changed").GetBoolean()));
        Assert.True(results[0].GetProperty("current").GetProperty("decision").GetBoolean());
        Assert.False(results[0].GetProperty("proposed").GetProperty("decision").GetBoolean());
        Assert.False(string.IsNullOrEmpty(results[0].GetProperty("proposed").GetProperty("context").GetProperty("reason_admin").GetProperty("en").GetString()));
        Assert.True(results[1].GetProperty("proposed").GetProperty("decision").GetBoolean());
        Assert.True((await _client.InvokeAsync("alice", agent)).Decision());
        Assert.Equal(HttpStatusCode.OK, (await _client.FetchAsync(AdminApi.Policy(policy))).Status);
    }

    [Fact]
    public async Task WhatIf_ProposedPolicy_ShowsNewPermitAndSavesNothing()
    {
        var agent = AdminApi.NewId("agent");
        await _client.SendAsync(HttpMethod.Put, AdminApi.Directory("agents", agent), AdminApi.Agent());
        var policy = AdminApi.NewId("p");
        var request = new
        {
            policies = new[] { AdminApi.InvokePolicy(policy, agent, "bob") },
            evaluations = new[] { Pdp.Request("bob", "agent.invoke", "agent", agent) },
        };

        var reply = await _client.SendAsync(HttpMethod.Post, AdminApi.WhatIf, request);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var result = Assert.Single(reply.Json.GetProperty("results").EnumerateArray());
        Assert.True(result.GetProperty("changed").GetBoolean());
        Assert.False(result.GetProperty("current").GetProperty("decision").GetBoolean());
        Assert.True(result.GetProperty("proposed").GetProperty("decision").GetBoolean());
        Assert.False((await _client.InvokeAsync("bob", agent)).Decision());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.FetchAsync(AdminApi.Policy(policy))).Status);
    }

    [Fact]
    public async Task WhatIf_InvalidProposedPolicy_400WithPathsIntoTheProposal()
    {
        var bad = AdminApi.InvokePolicy(AdminApi.NewId("p"), "hr-assistant", "bob");
        bad["effect"] = "allow";
        var request = new
        {
            policies = new object[] { AdminApi.InvokePolicy(AdminApi.NewId("p"), "hr-assistant", "bob"), bad },
            evaluations = new[] { Pdp.Request("bob", "agent.invoke", "agent", "hr-assistant") },
        };

        var reply = await _client.SendAsync(HttpMethod.Post, AdminApi.WhatIf, request);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.Contains("/policies/1/effect", reply.ErrorPaths());
    }

    [Fact]
    public async Task WhatIf_NoEvaluations_400()
    {
        var reply = await _client.SendAsync(HttpMethod.Post, AdminApi.WhatIf, new { remove = new[] { "hr-may-use-hr-assistant" } });

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("/evaluations", reply.Json.GetProperty("field").GetString());
    }
}
